/**
 * Running one command in a container through containerd, with a runtime
 * resolved by the registry: what `oci-runtimes run` and `check` do, and what an
 * embedding daemon calls.
 *
 * The container and its task are scoped resources (see `ContainerLifecycle`).
 * Whatever ends the run — the command exiting, a failure at any step, an
 * interruption (Ctrl-C), the shim dying, a sink that fails — the task is
 * killed and deleted and the container deleted before the effect completes.
 * Resolution and the pre-flight checks come first, so a runtime that cannot
 * work never creates anything in containerd.
 */
import { randomBytes } from "node:crypto"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FileSystem from "effect/FileSystem"
import type { PlatformError } from "effect/PlatformError"
import * as Schema from "effect/Schema"
import { describeSystemError } from "../host/SystemError.ts"
import { type GetError, RuntimeRegistry } from "../registry/Registry.ts"
import type { RuntimeChoice } from "../registry/RuntimeTable.ts"
import type { CgroupDriver } from "../registry/RuntimePlan.ts"
import { ContainerdClient } from "./ContainerdClient.ts"
import type { ContainerdError } from "./ContainerdError.ts"
import { ignoredOptionFields } from "./ContainerdVersion.ts"
import {
  type CleanupReport,
  containerResource,
  initialTaskState,
  startThroughRestarts,
  taskResource,
  waitThroughRestarts
} from "./ContainerLifecycle.ts"
import { minimalSpec, type SpecError, specAny } from "./OciSpec.ts"
import { awaitForwarding, forwardTaskOutput, openTaskIo, type TaskIoError } from "./TaskIo.ts"

export interface RunRequest {
  /** The runtime name, as a container asks for it; `""`: the default runtime. */
  readonly runtime: string
  /** The container's root filesystem: a directory (no image, no snapshot). */
  readonly rootfs: string
  /** The command and its arguments. */
  readonly args: ReadonlyArray<string>
  /** The environment; `PATH` only by default. */
  readonly env?: ReadonlyArray<string>
  /** The container id; a fresh unique one by default. */
  readonly id?: string
}

/**
 * Where the container's output goes, chunk by chunk, as it is written. A
 * sink that fails (our own stdout closed: `run … | head -1`) ends the run:
 * the container is stopped and removed, and the run fails with that error.
 */
export interface RunOutput<E = never> {
  readonly stdout: (chunk: Uint8Array) => Effect.Effect<void, E>
  readonly stderr: (chunk: Uint8Array) => Effect.Effect<void, E>
  /**
   * What is worth telling but does not stop the run: options this containerd
   * ignores, output cut off, a cleanup step that failed. Logged as warnings
   * when not given.
   */
  readonly warning?: (message: string) => Effect.Effect<void>
}

export interface RunResult {
  readonly containerId: string
  /** The runtime name resolved to (the default runtime's for `""`). */
  readonly runtime: string
  readonly shim: string
  /** The command's exit status; 128+N when it was killed by signal N, as containerd reports it. */
  readonly exitStatus: number
  /** What cleanup could not do (also told to `warning`): empty when nothing was left behind. */
  readonly cleanupProblems: ReadonlyArray<string>
}

/** The root filesystem is not a directory that can be used. */
export class InvalidRootfs extends Schema.TaggedError<InvalidRootfs>()("InvalidRootfs", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot use ${this.path} as the container's root filesystem: ${this.reason}`
  }
}

export type RunError = GetError | InvalidRootfs | ContainerdError | TaskIoError | SpecError

/**
 * How long the container's output may stall after its command exited before
 * the rest is given up on. Output still moving is always waited for.
 */
const drainGrace = Duration.seconds(2)

/**
 * A fresh container id: recognisably ours, naming the runtime, unique. containerd
 * ids are letters and digits joined by single `.`, `_` or `-`, at most 76 long.
 */
export const freshContainerId = (runtime: string): string => {
  const slug = runtime.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "")
  const unique = randomBytes(6).toString("hex")
  return slug === "" ? `oci-runtimes-${unique}` : `oci-runtimes-${slug}-${unique}`
}

/**
 * Whether the runtime manages cgroups through systemd, which wants a
 * `slice:prefix:name` cgroups path: runc says so in its options, any other
 * shim follows the daemon's cgroup driver.
 */
const usesSystemdCgroups = (choice: RuntimeChoice, driver: CgroupDriver): boolean =>
  choice.options?._tag === "RuncOptions" ? choice.options.value.systemdCgroup === true : driver === "systemd"

/** dockerd's layout: `system.slice:docker:<id>` under systemd, `/docker/<id>` otherwise. */
export const cgroupsPath = (id: string, systemd: boolean): string =>
  systemd ? `system.slice:oci-runtimes:${id}` : `/oci-runtimes/${id}`

/**
 * The rootfs must be a directory, and not the host's own root: runc mounts
 * /proc, /dev and /sys inside it and the container may write to it.
 * Checked before anything is created, as a pre-flight check.
 */
const checkRootfs = (path: string) =>
  Effect.gen(function*() {
    if (path === "") return yield* new InvalidRootfs({ path, reason: "no path given" })
    const fs = yield* FileSystem.FileSystem
    const systemError = (error: PlatformError) => new InvalidRootfs({ path, reason: describeSystemError(error) })
    // Resolved first, so that neither `/.` nor a symbolic link to `/` passes for another directory.
    const real = yield* Effect.mapError(fs.realPath(path), systemError)
    if (real === "/") return yield* new InvalidRootfs({ path, reason: "it is the host's root directory" })
    const info = yield* Effect.mapError(fs.stat(real), systemError)
    if (info.type !== "Directory") return yield* new InvalidRootfs({ path, reason: "not a directory" })
  })

/**
 * Tells the user which of the runtime's options this containerd will not act
 * on. Only a warning: a containerd that cannot say its version still runs
 * containers, so a failure here is ignored.
 */
const warnIgnoredOptions = (choice: RuntimeChoice, warn: CleanupReport) =>
  Effect.gen(function*() {
    if (choice.options === undefined) return
    const { version } = yield* (yield* ContainerdClient).version
    for (const ignored of ignoredOptionFields(version, choice.options)) {
      yield* warn(`runtime ${choice.runtime}: containerd ${version} ignores option ${ignored.goName}: ${ignored.reason}`)
    }
  }).pipe(Effect.ignore)

/**
 * The output's sinks, turned so that the first failure is handed to `failed`
 * and every later chunk is read and dropped: the output must keep flowing
 * until the task is stopped.
 */
const failingOnce = <E>(output: RunOutput<E>, failed: Deferred.Deferred<never, E>) => {
  let broken = false
  const guard = (sink: (chunk: Uint8Array) => Effect.Effect<void, E>) => (chunk: Uint8Array) =>
    broken ? Effect.void : sink(chunk).pipe(
      Effect.catch((error) =>
        Effect.suspend(() => {
          broken = true
          return Deferred.fail(failed, error)
        })
      ),
      Effect.asVoid
    )
  return { stdout: guard(output.stdout), stderr: guard(output.stderr) }
}

/**
 * Runs `request.args` in a new container with the runtime `request.runtime`
 * resolves to, streaming its output to `output` as it is written, and returns
 * its exit status once the container and its task are gone again.
 */
export const runInContainer = <E = never>(
  request: RunRequest,
  output: RunOutput<E>
): Effect.Effect<RunResult, RunError | E, RuntimeRegistry | ContainerdClient | FileSystem.FileSystem> =>
  Effect.suspend(() => {
    const cleanupProblems: Array<string> = []
    return Effect.scoped(runScoped(request, output, cleanupProblems)).pipe(
      Effect.map((result) => ({ ...result, cleanupProblems }))
    )
  })

/** The run itself, in the caller's scope; what cleanup could not do goes into `cleanupProblems`. */
const runScoped = <E>(request: RunRequest, output: RunOutput<E>, cleanupProblems: Array<string>) =>
  Effect.gen(function*() {
    const registry = yield* RuntimeRegistry
    const choice = yield* registry.get(request.runtime)
    yield* checkRootfs(request.rootfs)
    const { cgroupDriver } = yield* registry.table
    const id = request.id ?? freshContainerId(choice.runtime)
    const spec = yield* Effect.fromResult(minimalSpec({
      args: request.args,
      rootfs: request.rootfs,
      ...(request.env === undefined ? {} : { env: request.env }),
      cgroupsPath: cgroupsPath(id, usesSystemdCgroups(choice, cgroupDriver))
    }))
    const client = yield* ContainerdClient
    const warn = output.warning ?? ((message: string) => Effect.logWarning(message))
    const reportCleanup: CleanupReport = (message) =>
      Effect.suspend(() => {
        cleanupProblems.push(message)
        return warn(message)
      })
    const task = initialTaskState()
    const [io] = yield* Effect.all([
      openTaskIo(),
      containerResource(id, choice, specAny(spec), task, reportCleanup),
      warnIgnoredOptions(choice, warn)
    ], { concurrency: "unbounded" })
    // Forwarding starts before the task so that it outlives it: cleanup then
    // stops the task while its output is still being read, and the shim never
    // waits on a full pipe.
    const sinkFailed = yield* Deferred.make<never, E>()
    const forwarding = yield* Effect.forkScoped(forwardTaskOutput(io, failingOnce(output, sinkFailed)))
    yield* taskResource(id, { stdout: io.stdoutPath, stderr: io.stderrPath }, task, reportCleanup)
    yield* startThroughRestarts(id)
    // A sink that fails, or a FIFO that cannot be read, ends the run at once rather than after the command.
    const { exitStatus } = yield* Effect.raceAllFirst([
      waitThroughRestarts(client.waitTask(id)),
      Deferred.await(sinkFailed),
      Fiber.join(forwarding).pipe(Effect.andThen(Effect.never))
    ])
    task.exited = true
    if ((yield* awaitForwarding(forwarding, io, drainGrace)) === "GraceExpired") {
      yield* warn(`the output of container ${id} stopped without an end for ${Duration.format(drainGrace)}; the rest is lost`)
    }
    // A sink that failed while the last output was drained fails the run too.
    if (yield* Deferred.isDone(sinkFailed)) return yield* Deferred.await(sinkFailed)
    return { containerId: id, runtime: choice.runtime, shim: choice.shim, exitStatus }
  })
