import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { existsSync, symlinkSync } from "node:fs"
import { join } from "node:path"
import type { DaemonConfig } from "../../src/config/DaemonConfig.ts"
import * as ContainerdClient from "../../src/containerd/ContainerdClient.ts"
import { labels } from "../../src/containerd/ContainerLifecycle.ts"
import { runInContainer, type RunOutput } from "../../src/containerd/ContainerRun.ts"
import {
  address,
  configWith,
  hostileArgument,
  namespaceContents,
  recorder,
  rootfs,
  scratchDir,
  withRegistry
} from "./runSupport.ts"

const namespace = "run-library-test"

/** The create calls the client was asked for since the last `withRuntimes`. */
const creates: Array<string> = []

/** The client of the private containerd, recording every create it is asked for. */
const recordingClient = Layer.effect(ContainerdClient.ContainerdClient)(
  Effect.map(ContainerdClient.ContainerdClient, (client): ContainerdClient.ContainerdClient => ({
    ...client,
    createContainer: (container) => Effect.suspend(() => (creates.push("Containers.Create"), client.createContainer(container))),
    createTask: (request) => Effect.suspend(() => (creates.push("Tasks.Create"), client.createTask(request)))
  }))
).pipe(Layer.provide(ContainerdClient.layer({ address: address(), namespace })))

/** A registry over the real host, reloaded with `runtimes`, and the recording client of the private containerd. */
const withRuntimes = (runtimes: DaemonConfig["runtimes"], more: Partial<DaemonConfig> = {}) => {
  creates.length = 0
  return withRegistry(configWith(runtimes, more), recordingClient)
}

/** Output handlers that keep what the container wrote. */
const collector = () => {
  const decoder = { stdout: new TextDecoder(), stderr: new TextDecoder() }
  const text = { stdout: "", stderr: "" }
  const output: RunOutput = {
    stdout: (chunk) => Effect.sync(() => (text.stdout += decoder.stdout.decode(chunk, { stream: true }))),
    stderr: (chunk) => Effect.sync(() => (text.stderr += decoder.stderr.decode(chunk, { stream: true })))
  }
  return { output, text }
}

const run = (args: ReadonlyArray<string>, runtime = "") => {
  const { output, text } = collector()
  return Effect.map(runInContainer({ runtime, rootfs: rootfs(), args }, output), (result) => ({ result, text }))
}

afterAll(() => {
  expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
})

describe("runInContainer on the real containerd", () => {
  it.live("runs a command with the stock runtime and returns its output and exit status 0", () =>
    withRuntimes({})(Effect.gen(function*() {
      const { result, text } = yield* run(["/bin/sh", "-c", "echo out; echo err >&2"])
      expect(result).toMatchObject({ runtime: "runc", shim: "io.containerd.runc.v2", exitStatus: 0 })
      expect(text).toEqual({ stdout: "out\n", stderr: "err\n" })
    })))

  it.live("returns a non-zero exit status as the command's", () =>
    withRuntimes({})(Effect.gen(function*() {
      const { result } = yield* run(["/bin/sh", "-c", "exit 7"])
      expect(result.exitStatus).toBe(7)
    })))

  it.live("passes runtimeArgs through the wrapper script byte for byte", () => {
    const rec = recorder(scratchDir("recorder"), 2)
    return withRuntimes({ recorded: { path: rec.path, runtimeArgs: ["--test-marker", hostileArgument] } })(
      Effect.gen(function*() {
        const { result } = yield* run(["/bin/busybox", "true"], "recorded")
        expect(result.exitStatus).toBe(0)
        const calls = rec.calls()
        expect(calls.some((argv) => argv.includes("create"))).toBe(true)
        for (const argv of calls) expect(argv.slice(0, 2)).toEqual(["--test-marker", hostileArgument])
      })
    )
  })

  it.live("hands containerd the runc options of a runtimeType runtime: BinaryName runs, runc's state goes under Root", () => {
    const dir = scratchDir("typed")
    const rec = recorder(dir)
    const root = join(dir, "runc-root")
    return withRuntimes({
      typed: { runtimeType: "io.containerd.runc.v2", options: { BinaryName: rec.path, Root: root, SystemdCgroup: false } }
    })(Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      let stateSeen = false
      const output: RunOutput = {
        stdout: () =>
          Effect.gen(function*() {
            const [id] = namespaceContents(namespace).containers.filter((name) => name.includes("typed"))
            stateSeen = id !== undefined && existsSync(join(root, namespace, id, "state.json"))
            yield* Deferred.succeed(started, undefined)
          }),
        stderr: () => Effect.void
      }
      const result = yield* runInContainer(
        { runtime: "typed", rootfs: rootfs(), args: ["/bin/sh", "-c", "echo up; sleep 0.3"] },
        output
      )
      expect(result.exitStatus).toBe(0)
      expect(stateSeen).toBe(true)
      expect(rec.calls().some((argv) => argv.includes("create") && argv.includes(join(root, namespace)))).toBe(true)
    }))
  })

  it.live("uses the default runtime when none is asked for", () => {
    const rec = recorder(scratchDir("default"))
    return withRuntimes({ mine: { path: rec.path } }, { defaultRuntime: "mine" })(Effect.gen(function*() {
      const { result } = yield* run(["/bin/busybox", "true"])
      expect(result.runtime).toBe("mine")
      expect(rec.calls().some((argv) => argv.includes("create"))).toBe(true)
    }))
  })

  it.live("labels the container so that a leftover can be recognised", () =>
    withRuntimes({})(Effect.gen(function*() {
      const client = yield* ContainerdClient.ContainerdClient
      const seen: Array<Record<string, string>> = []
      const output: RunOutput = {
        stdout: () =>
          Effect.flatMap(client.listContainers([`labels."${labels.createdBy}"==oci-runtimes`]), (containers) =>
            Effect.sync(() => {
              seen.push(...containers.map((container) => container.labels))
            })).pipe(Effect.orDie),
        stderr: () => Effect.void
      }
      yield* runInContainer({ runtime: "", rootfs: rootfs(), args: ["/bin/sh", "-c", "echo x"] }, output)
      expect(seen).toEqual([{ [labels.createdBy]: "oci-runtimes", [labels.runtime]: "runc", [labels.pid]: String(process.pid) }])
    })))

  it.live("names the missing shim binary of an unknown runtimeType, and leaves nothing behind", () =>
    withRuntimes({ ghost: { runtimeType: "io.containerd.nonexistent.v1" } })(Effect.gen(function*() {
      const error = yield* Effect.flip(run(["/bin/busybox", "true"], "ghost"))
      expect(error._tag).toBe("ContainerdError")
      expect(error.message).toContain("containerd-shim-nonexistent-v1")
      expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
    })))

  it.live("fails a pre-flight check before creating anything in containerd", () =>
    withRuntimes({ vanished: { path: "/nonexistent/runc", runtimeArgs: ["--debug"] } })(Effect.gen(function*() {
      const error = yield* Effect.flip(run(["/bin/busybox", "true"], "vanished"))
      expect(error._tag).toBe("RuntimePathLookupError")
      expect(error.message).toContain("/nonexistent/runc")
      expect(creates).toEqual([])
    })))

  it.live("refuses an unknown runtime name before creating anything", () =>
    withRuntimes({})(Effect.gen(function*() {
      const error = yield* Effect.flip(run(["/bin/busybox", "true"], "no-such-runtime"))
      expect(error._tag).toBe("UnknownRuntime")
      expect(creates).toEqual([])
    })))

  it.live("refuses a rootfs that is not a directory before creating anything", () =>
    withRuntimes({})(Effect.gen(function*() {
      const { output } = collector()
      const error = yield* Effect.flip(runInContainer({ runtime: "", rootfs: "/nonexistent/rootfs", args: ["true"] }, output))
      expect(error._tag).toBe("InvalidRootfs")
      expect(error.message).toContain("no such file or directory")
      expect(creates).toEqual([])
    })))

  it.live("streams output while the container still runs", () =>
    withRuntimes({})(Effect.gen(function*() {
      const first = yield* Deferred.make<number>()
      const output: RunOutput = {
        stdout: () => Deferred.succeed(first, Date.now()).pipe(Effect.asVoid),
        stderr: () => Effect.void
      }
      const fiber = yield* Effect.forkChild(
        runInContainer({ runtime: "", rootfs: rootfs(), args: ["/bin/sh", "-c", "echo first; sleep 1; echo second"] }, output)
      )
      const firstAt = yield* Deferred.await(first)
      const result = yield* Fiber.join(fiber)
      const endedAt = Date.now()
      expect(result.exitStatus).toBe(0)
      // "first" came a whole second before the container's end: it was not held back until exit.
      expect(endedAt - firstAt).toBeGreaterThanOrEqual(900)
    })))

  it.live("refuses the host's root directory as a rootfs before creating anything", () =>
    withRuntimes({})(Effect.gen(function*() {
      const { output } = collector()
      const error = yield* Effect.flip(runInContainer({ runtime: "", rootfs: "/", args: ["true"] }, output))
      expect(error.message).toContain("it is the host's root directory")
      expect(creates).toEqual([])
    })))

  it.live("refuses a symbolic link to the host's root directory as a rootfs", () =>
    withRuntimes({})(Effect.gen(function*() {
      const link = join(scratchDir("root-link"), "rootfs")
      symlinkSync("/", link)
      const { output } = collector()
      const error = yield* Effect.flip(runInContainer({ runtime: "", rootfs: link, args: ["true"] }, output))
      expect(error.message).toContain("it is the host's root directory")
      expect(creates).toEqual([])
    })))

  it.live("stops the container and fails with the sink's error when a sink fails", () =>
    withRuntimes({})(Effect.gen(function*() {
      const output: RunOutput<string> = { stdout: () => Effect.fail("reader gone"), stderr: () => Effect.void }
      const started = Date.now()
      const error = yield* Effect.flip(
        runInContainer({ runtime: "", rootfs: rootfs(), args: ["/bin/sh", "-c", "echo x; exec sleep 30"] }, output)
      )
      expect(error).toBe("reader gone")
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
    })))

  it.live("fails with the sink's error when the sink fails while the last output is drained", () =>
    withRuntimes({})(Effect.gen(function*() {
      let chunks = 0
      const output: RunOutput<string> = {
        // The first chunk holds dd up long enough for it to exit with the rest still in the pipes.
        stdout: () => ++chunks === 1 ? Effect.sleep("500 millis") : Effect.fail("reader gone"),
        stderr: () => Effect.void
      }
      const error = yield* Effect.flip(runInContainer(
        { runtime: "", rootfs: rootfs(), args: ["/bin/busybox", "dd", "if=/dev/zero", "bs=1000", "count=150"] },
        output
      ))
      expect(error).toBe("reader gone")
    })))

  it.live("delivers all of the output to a sink slower than the drain's grace time", () =>
    withRuntimes({})(Effect.gen(function*() {
      let bytes = 0
      const output: RunOutput = {
        // 1.5 s a chunk (of up to 64 KiB): what is still in the pipes when dd exits takes longer than the 2 s grace.
        stdout: (chunk) => Effect.sleep("1500 millis").pipe(Effect.andThen(Effect.sync(() => (bytes += chunk.length)))),
        stderr: () => Effect.void
      }
      const { exitStatus } = yield* runInContainer(
        { runtime: "", rootfs: rootfs(), args: ["/bin/busybox", "dd", "if=/dev/zero", "bs=1000", "count=150"] },
        output
      )
      expect(exitStatus).toBe(0)
      expect(bytes).toBe(150_000)
    })), 30_000)

  it.live("kills and removes the container and its task when interrupted", () =>
    withRuntimes({})(Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const output: RunOutput = { stdout: () => Deferred.succeed(started, undefined).pipe(Effect.asVoid), stderr: () => Effect.void }
      const fiber = yield* Effect.forkChild(
        runInContainer({ runtime: "", rootfs: rootfs(), args: ["/bin/sh", "-c", "echo started; exec sleep 30"] }, output)
      )
      yield* Deferred.await(started)
      expect(namespaceContents(namespace).tasks).toHaveLength(1)
      yield* Fiber.interrupt(fiber)
      expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
    })))
})
