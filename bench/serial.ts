/**
 * dockerd's setup algorithm, as the yardstick the boot scenarios are compared
 * with: wipe `<data-root>/runtimes`, then for the stock runc and each path
 * runtime in turn write its wrapper script durably (temp file, fsync, rename —
 * what moby's atomic file writer does) when it has runtimeArgs, and run
 * `<script or binary> features`, waiting for each before the next. No
 * deduplication, no concurrency, no cache: one exec per runc-compatible runtime.
 */
import { execFileSync } from "node:child_process"
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs"
import { join } from "node:path"
import type { DaemonConfig } from "../src/config/DaemonConfig.ts"
import { runc } from "./fixtures.ts"

const writeDurably = (path: string, content: string) => {
  const temp = `${path}.tmp`
  const fd = openSync(temp, "w", 0o700)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temp, path)
}

const probe = (program: string) => {
  try {
    execFileSync(program, ["features"], { stdio: ["ignore", "pipe", "pipe"] })
  } catch {
    // A runtime without `features` (crun 1.8) is a warning to dockerd, not a failure.
  }
}

/** One dockerd-like setup of `config`; returns the number of `features` execs. */
export const serialSetup = (config: DaemonConfig): number => {
  const scripts = join(config.dataRoot, "runtimes")
  rmSync(scripts, { recursive: true, force: true })
  mkdirSync(scripts, { recursive: true, mode: 0o700 })
  probe(runc)
  let execs = 1
  for (const [name, runtime] of Object.entries(config.runtimes).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    if (runtime.path === undefined) continue
    let program = runtime.path
    if (runtime.runtimeArgs !== undefined && runtime.runtimeArgs.length > 0) {
      program = join(scripts, name)
      writeDurably(program, `#!/bin/sh\n${runtime.path} ${runtime.runtimeArgs.join(" ")} "$@"\n`)
    }
    probe(program)
    execs++
  }
  return execs
}
