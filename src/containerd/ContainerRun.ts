/**
 * Running one command in a container through containerd, with a runtime
 * resolved by the registry: what `oci-runtimes run` and `check` do, and what an
 * embedding daemon calls.
 *
 * The container and its task are scoped resources. Whatever ends the run —
 * the command exiting, a failure at any step, an interruption (Ctrl-C), the
 * shim dying — the task is killed and deleted and the container deleted
 * before the effect completes. Resolution and the pre-flight check come
 * first, so a runtime that cannot work never creates anything in containerd.
 */
import { randomBytes } from "node:crypto"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { describeSystemError } from "../host/SystemError.ts"
import { type GetError, RuntimeRegistry } from "../registry/Registry.ts"
import type { RuntimeChoice } from "../registry/RuntimeTable.ts"
import type { CgroupDriver } from "../registry/RuntimePlan.ts"
import { ContainerdClient } from "./ContainerdClient.ts"
import { type ContainerdError, hasStatus, StatusCode } from "./ContainerdError.ts"
import { ignoredOptionFields } from "./ContainerdVersion.ts"
import { minimalSpec, type SpecError, specAny } from "./OciSpec.ts"
import { shimOptionsAny } from "./ShimOptionsWire.ts"
import { awaitForwarding, forwardTaskOutput, openTaskIo, type TaskIo, type TaskIoError } from "./TaskIo.ts"

/** Labels on every container oci-runtimes creates, so that leftovers of a crashed run can be found. */
export const labels = {
  /** Always `oci-runtimes`: `ctr containers ls 'labels."io.oci-runtimes.created-by"==oci-runtimes'`. */
  createdBy: "io.oci-runtimes.created-by",
  /** The runtime name the container was run with. */
  runtime: "io.oci-runtimes.runtime",
  /** The process that created it; a container whose creator is gone was left by a crash. */
  pid: "io.oci-runtimes.pid"
} as const

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

/** Where the container's output goes, chunk by chunk, as it is written. */
export interface RunOutput {
  readonly stdout: (chunk: Uint8Array) => Effect.Effect<void>
  readonly stderr: (chunk: Uint8Array) => Effect.Effect<void>
  /** Things worth telling the user that do not stop the run (options this containerd ignores). */
  readonly warning?: (message: string) => Effect.Effect<void>
}

export interface RunResult {
  readonly containerId: string
  /** The runtime name resolved to (the default runtime's for `""`). */
  readonly runtime: string
  readonly shim: string
  /** The command's exit status; 128+N when it was killed by signal N, as containerd reports it. */
  readonly exitStatus: number
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

/** How long the container's output may keep coming after its command exited (the shim's last copy). */
const drainGrace = Duration.seconds(2)

/** How long cleanup waits for a killed task to exit before deleting it anyway. */
const killGrace = Duration.seconds(10)

const SIGKILL = 9

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

/** The rootfs must be a directory: checked before anything is created, as a pre-flight check. */
const checkRootfs = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.stat(path)).pipe(
    Effect.mapError((error) => new InvalidRootfs({ path, reason: describeSystemError(error) })),
    Effect.flatMap((info) =>
      info.type === "Directory" ? Effect.void : Effect.fail(new InvalidRootfs({ path, reason: "not a directory" }))
    )
  )

/** Errors that mean "already gone", which cleanup does not need to hear about. */
const isGone = (error: ContainerdError): boolean =>
  hasStatus(error, StatusCode.NotFound) || hasStatus(error, StatusCode.FailedPrecondition)

const warnCleanup = (what: string) => (error: ContainerdError) =>
  Effect.logWarning(`cleanup: could not ${what}: ${error.message}`)

/**
 * The container record, deleted again when the scope closes. The deletion is
 * in place before the call, which stays interruptible: a create cut short
 * (a timeout, Ctrl-C) may still have reached containerd, and deleting a
 * container that was never made is a harmless `not_found`.
 */
const createContainer = (
  id: string,
  choice: RuntimeChoice,
  spec: ReturnType<typeof specAny>
): Effect.Effect<void, ContainerdError, ContainerdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* ContainerdClient
    yield* Effect.addFinalizer(() =>
      client.deleteContainer(id).pipe(
        Effect.catchIf(isGone, () => Effect.void),
        Effect.catch(warnCleanup(`delete container ${id}`))
      )
    )
    yield* client.createContainer({
      id,
      labels: { [labels.createdBy]: "oci-runtimes", [labels.runtime]: choice.runtime, [labels.pid]: String(process.pid) },
      // The shim's options go here and only here: containerd 2.x reads any
      // options on the task request as runc's, whatever the shim.
      runtime: { name: choice.shim, ...(choice.options === undefined ? {} : { options: shimOptionsAny(choice.options) }) },
      spec
    })
  })

/**
 * The task (the shim and the container's init process), stopped and deleted
 * when the scope closes: killed unless it is known to have exited, waited
 * for, then deleted. As for the container, the cleanup is in place before
 * `Tasks.Create`, so that a runtime that hangs in `create` can be given up
 * on at once rather than after the call's own timeout.
 */
const createTask = (
  id: string,
  io: TaskIo,
  exited: { value: boolean }
): Effect.Effect<void, ContainerdError, ContainerdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* ContainerdClient
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        if (!exited.value) {
          yield* client.killTask(id, SIGKILL, { all: true }).pipe(Effect.catchIf(isGone, () => Effect.void))
          yield* client.waitTask(id).pipe(Effect.timeout(killGrace), Effect.ignore)
        }
        yield* client.deleteTask(id).pipe(Effect.catchIf(isGone, () => Effect.void))
      }).pipe(Effect.catch(warnCleanup(`stop and delete task ${id}`)))
    )
    yield* client.createTask({ containerId: id, stdout: io.stdoutPath, stderr: io.stderrPath })
  })

/** Tells the user which of the runtime's options this containerd will not act on. */
const warnIgnoredOptions = (choice: RuntimeChoice, output: RunOutput) =>
  Effect.gen(function*() {
    if (choice.options === undefined || output.warning === undefined) return
    const { version } = yield* (yield* ContainerdClient).version
    for (const ignored of ignoredOptionFields(version, choice.options)) {
      yield* output.warning(`runtime ${choice.runtime}: containerd ${version} ignores option ${ignored.goName}: ${ignored.reason}`)
    }
  })

/**
 * Runs `request.args` in a new container with the runtime `request.runtime`
 * resolves to, streaming its output to `output` as it is written, and returns
 * its exit status once the container and its task are gone again.
 */
export const runInContainer = (
  request: RunRequest,
  output: RunOutput
): Effect.Effect<RunResult, RunError, RuntimeRegistry | ContainerdClient | FileSystem.FileSystem> =>
  Effect.scoped(Effect.gen(function*() {
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
    const [io] = yield* Effect.all([
      openTaskIo(),
      createContainer(id, choice, specAny(spec)),
      warnIgnoredOptions(choice, output)
    ], { concurrency: "unbounded" })
    const exited = { value: false }
    yield* createTask(id, io, exited)
    const forwarding = yield* Effect.forkScoped(forwardTaskOutput(io, output))
    yield* client.startTask(id)
    const { exitStatus } = yield* client.waitTask(id)
    exited.value = true
    yield* awaitForwarding(forwarding, drainGrace)
    return { containerId: id, runtime: choice.runtime, shim: choice.shim, exitStatus }
  }))
