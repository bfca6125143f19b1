import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import * as ContainerdClient from "../../src/containerd/ContainerdClient.ts"
import { runInContainer } from "../../src/containerd/ContainerRun.ts"
import { removeLeftovers, startContainerd } from "./PrivateContainerd.ts"
import { configWith, rootfs, scratchDir, withRegistry } from "./runSupport.ts"

/**
 * A containerd of this test's own, since it is restarted in the middle: what
 * `systemctl restart containerd` does to a daemon whose containers run on.
 */
describe("runInContainer across a containerd restart", () => {
  it.live("waits for containerd to come back and sees the command to its end", () =>
    Effect.gen(function*() {
      const dir = scratchDir("restart")
      const state = join(dir, "containerd")
      mkdirSync(state)
      const containerd = { current: yield* Effect.promise(() => startContainerd(state)) }
      yield* Effect.addFinalizer(() => Effect.promise(() => containerd.current.stop()))
      const started = yield* Deferred.make<void>()
      let stdout = ""
      const client = ContainerdClient.layer({ address: containerd.current.address, namespace: "restart-test" })
      const run = withRegistry(configWith({}), client)(runInContainer(
        // "started" comes well after Tasks.Start has answered, so that the restart falls in Tasks.Wait.
        { runtime: "", rootfs: rootfs(), args: ["/bin/sh", "-c", "sleep 0.5; echo started; sleep 2; echo survived"] },
        {
          stdout: (chunk) =>
            Effect.sync(() => (stdout += new TextDecoder().decode(chunk))).pipe(
              Effect.andThen(Deferred.succeed(started, undefined))
            ),
          stderr: () => Effect.void
        }
      ))
      const fiber = yield* Effect.forkChild(run)
      yield* Deferred.await(started)
      yield* Effect.promise(() => containerd.current.stop())
      containerd.current = yield* Effect.promise(() => startContainerd(state))
      const result = yield* Fiber.join(fiber)
      expect(result.exitStatus).toBe(0)
      expect(stdout).toBe("started\nsurvived\n")
      expect(removeLeftovers(containerd.current.address)).toEqual([])
    }).pipe(Effect.scoped), 60_000)
})
