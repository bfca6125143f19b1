import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { DaemonConfig } from "../../src/config/DaemonConfig.ts"
import * as ContainerdClient from "../../src/containerd/ContainerdClient.ts"
import { checkRuntimes } from "../../src/containerd/SmokeCheck.ts"
import { address, configWith, namespaceContents, rootfs, runc, scratchDir, withRegistry } from "./runSupport.ts"

const namespace = "smoke-check-test"

/** checkRuntimes over a registry reloaded with `runtimes`, on the private containerd. */
const check = (runtimes: DaemonConfig["runtimes"], more: Partial<DaemonConfig> = {}, concurrency?: number) =>
  withRegistry(configWith(runtimes, more), ContainerdClient.layer({ address: address(), namespace }))(
    checkRuntimes({ rootfs: rootfs(), ...(concurrency === undefined ? {} : { concurrency }) })
  )

/**
 * A runc that notes when each `create` starts and ends (in ms since the epoch)
 * and makes it take 300 ms, so that overlapping containers can be counted.
 */
const timedRunc = (dir: string) => {
  const log = join(dir, "creates")
  const path = join(dir, "timed-runc")
  writeFileSync(
    path,
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = create ] && { s=$(date +%s%3N); sleep 0.3; ${runc} "$@"; r=$?; ` +
      `echo "$s $(date +%s%3N)" > "${log}.$$"; exit $r; }; done\nexec ${runc} "$@"\n`,
    { mode: 0o755 }
  )
  const intervals = () =>
    readdirSync(dir).filter((name) => name.startsWith("creates.")).map((name) =>
      readFileSync(join(dir, name), "utf8").trim().split(" ").map(Number) as [number, number]
    )
  return { path, intervals }
}

/** The most intervals that overlap at any one moment. */
const mostAtOnce = (intervals: ReadonlyArray<readonly [number, number]>): number =>
  Math.max(...intervals.map(([start]) => intervals.filter(([s, e]) => s <= start && start < e).length))

afterAll(() => {
  expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
})

describe("checkRuntimes", () => {
  it.live("runs the smoke containers a few at a time, never more than the concurrency", () => {
    const timed = timedRunc(scratchDir("timed"))
    const runtimes = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`timed-${i}`, { path: timed.path }]))
    return Effect.gen(function*() {
      const report = yield* check(runtimes, {}, 3)
      expect(report.runtimes.filter((runtime) => runtime.ok)).toHaveLength(10)
      const intervals = timed.intervals()
      expect(intervals).toHaveLength(8)
      expect(mostAtOnce(intervals)).toBeLessThanOrEqual(3)
      expect(mostAtOnce(intervals)).toBeGreaterThan(1)
    })
  }, 60_000)

  it.live("fails a runtime whose containers cannot be cleaned up, naming what was left", () => {
    const dir = scratchDir("undeletable")
    const sabotage = join(dir, "sabotage")
    writeFileSync(sabotage, "")
    const path = join(dir, "undeletable-runc")
    // While the sabotage file exists, `delete` fails: the task cannot be deleted, so its container stays.
    writeFileSync(
      path,
      `#!/bin/sh\nfor a in "$@"; do [ "$a" = delete ] && [ -e "${sabotage}" ] && exit 1; done\nexec ${runc} "$@"\n`,
      { mode: 0o755 }
    )
    return Effect.gen(function*() {
      const report = yield* check({ undeletable: { path } })
      const result = report.runtimes.find((runtime) => runtime.name === "undeletable")
      expect(result?.ok).toBe(false)
      expect(result?.error).toContain("left container oci-runtimes-undeletable-")
      const [id] = namespaceContents(namespace).containers
      rmSync(sabotage)
      execFileSync("ctr", ["--address", address(), "--namespace", namespace, "tasks", "delete", "--force", id!])
      execFileSync("ctr", ["--address", address(), "--namespace", namespace, "containers", "delete", id!])
    })
  })

  it.live("is not ok when the default runtime fails, whatever the others do", () =>
    Effect.gen(function*() {
      const report = yield* check(
        { ghost: { runtimeType: "io.containerd.nonexistent.v1" } },
        { defaultRuntime: "ghost" }
      )
      expect(report.ok).toBe(false)
      expect(report.defaultRuntime).toBe("ghost")
      expect(report.runtimes.find((runtime) => runtime.name === "runc")?.ok).toBe(true)
    }))
})
