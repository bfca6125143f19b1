/**
 * Fake runtimes for the probe tests: small shell scripts in a temporary
 * directory, and ways to tell whether the processes they started are gone.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A fresh directory for one test file's scripts. */
export const scratchDirectory = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix))

/** Writes an executable sh script into `dir` and returns its path. */
export const script = (dir: string, name: string, body: string): string => {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

export const fixture = (name: string): string => new URL(`../fixtures/${name}`, import.meta.url).pathname

/** Whether a pid runs: a zombie has finished, it only waits for a parent to reap it. */
export const isRunning = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return false
  }
}

/** The pids a script wrote into `file`, separated by white space. */
export const pids = (file: string): Array<number> => readFileSync(file, "utf8").trim().split(/\s+/).map(Number)

/** How many lines a script appended to `file`: how many times it ran. */
export const runs = (file: string): number => {
  try {
    return readFileSync(file, "utf8").split("\n").filter((line) => line !== "").length
  } catch {
    return 0
  }
}
