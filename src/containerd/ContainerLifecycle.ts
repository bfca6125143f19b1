/**
 * A container and its task as scoped resources: created in containerd when
 * acquired, stopped and deleted when the scope closes, whatever closed it.
 *
 * The order of cleanup is the point. containerd deletes a container record
 * even while its task runs, and what is left then — a running task with no
 * container, no labels — can be neither found by label nor removed with
 * `ctr`. So the container is deleted only once its task is known to be gone;
 * when the task cannot be stopped, the labelled container stays, and the user
 * is told how to remove both.
 *
 * Creates are not interruptible: a `Tasks.Create` cut short still goes on
 * inside containerd, and its shim registers after we have stopped looking,
 * for good. Each create is bounded by the client's call timeout instead. A
 * create that went out and got no answer (containerd restarting, the
 * deadline) may still have taken effect, so it is cleaned up as if it had;
 * only containerd's own refusal, or a call that never went out, means there
 * is nothing to clean up.
 */
import type { Any } from "@bufbuild/protobuf/wkt"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { RuntimeChoice } from "../registry/RuntimeTable.ts"
import { Status } from "./api/containerd/types/task/task_pb.ts"
import { ContainerdClient, defaultAddress } from "./ContainerdClient.ts"
import { type ContainerdError, hasStatus, mayHaveTakenEffect, StatusCode } from "./ContainerdError.ts"
import { shimOptionsAny } from "./ShimOptionsWire.ts"

/** Labels on every container oci-runtimes creates, so that leftovers of a crashed run can be found. */
export const labels = {
  /** Always `oci-runtimes`: `ctr containers ls 'labels."io.oci-runtimes.created-by"==oci-runtimes'`. */
  createdBy: "io.oci-runtimes.created-by",
  /** The runtime name the container was run with. */
  runtime: "io.oci-runtimes.runtime",
  /** The process that created it; a container whose creator is gone was left by a crash. */
  pid: "io.oci-runtimes.pid"
} as const

/** What cleanup knows of the container and its task. */
export interface TaskState {
  /** The container exists, or may: its create succeeded, or went out and got no answer. */
  containerMayExist: boolean
  /** The command has exited (`Tasks.Wait` answered): no kill needed. */
  exited: boolean
  /** No task exists: none was created, containerd refused the create, or it has been deleted. */
  gone: boolean
}

/** Nothing created yet. */
export const initialTaskState = (): TaskState => ({ containerMayExist: false, exited: false, gone: true })

/** Where cleanup tells what it could not do; it never fails the run. */
export type CleanupReport = (message: string) => Effect.Effect<void>

const SIGKILL = 9

/** How long cleanup waits for a killed task to exit before deleting it anyway. */
const killGrace = "10 seconds"

/**
 * "Already gone", which cleanup has nothing to do about: `not_found`, also
 * what the runc shim answers a kill of a process that has finished. Not
 * `failed_precondition`: that is containerd refusing to delete a task that
 * still runs.
 */
const isGone = (error: ContainerdError): boolean => hasStatus(error, StatusCode.NotFound)

/** Up to 30 s of retries, more and more spaced. */
const restartWindow = Schedule.exponential("100 millis", 1.5).pipe(Schedule.upTo({ duration: "30 seconds" }))

/**
 * Calls retried while containerd cannot be reached, for up to 30 s: a
 * restarted containerd (`systemctl restart containerd`) reconnects to its
 * shims, and the call then finds the task where it was.
 */
const retryWhileUnreachable = <A, R>(call: Effect.Effect<A, ContainerdError, R>) =>
  call.pipe(Effect.retry({ schedule: restartWindow, while: (error) => error.reason._tag === "Unreachable" }))

/**
 * `Tasks.Wait` through a containerd restart. Just after one, containerd may
 * answer before it has loaded its tasks again, so once it has been
 * unreachable a `not_found` is retried too.
 */
export const waitThroughRestarts = <A, R>(wait: Effect.Effect<A, ContainerdError, R>) =>
  Effect.suspend(() => {
    let restarted = false
    return wait.pipe(Effect.retry({
      schedule: restartWindow,
      while: (error) => {
        if (error.reason._tag === "Unreachable") restarted = true
        return error.reason._tag === "Unreachable" || (restarted && isGone(error))
      }
    }))
  })

/**
 * `Tasks.Start` through a containerd restart: when the call went out and no
 * answer came, the task is looked up once containerd is back, and started
 * only if it is still merely created — starting it twice would fail.
 */
export const startThroughRestarts = (id: string): Effect.Effect<void, ContainerdError, ContainerdClient> =>
  Effect.flatMap(ContainerdClient, (client) =>
    client.startTask(id).pipe(
      Effect.asVoid,
      Effect.catchIf(
        (error) => error.reason._tag === "Unreachable" && error.reason.sent,
        () =>
          retryWhileUnreachable(client.getTask(id)).pipe(
            Effect.flatMap((process) => process.status === Status.CREATED ? client.startTask(id) : Effect.void),
            Effect.asVoid
          )
      )
    ))

/** One cleanup step: "already gone" counts as done; anything else is reported and answers `false`. */
const step = (report: CleanupReport, what: string, call: Effect.Effect<unknown, ContainerdError>) =>
  retryWhileUnreachable(call).pipe(
    Effect.as(true),
    Effect.catchIf(isGone, () => Effect.succeed(true)),
    Effect.catch((error) => report(`cleanup: could not ${what}: ${error.message}`).pipe(Effect.as(false)))
  )

/** Runs a create without interruption, noting in `state` whether what it creates may now exist. */
const creating = <A>(call: Effect.Effect<A, ContainerdError>, mayExist: (yes: boolean) => void) =>
  Effect.uninterruptible(call).pipe(
    Effect.tap(() => Effect.sync(() => mayExist(true))),
    Effect.tapError((error) => Effect.sync(() => mayExist(mayHaveTakenEffect(error))))
  )

const ctrCommands = (client: ContainerdClient, id: string) => {
  const ctr = `ctr${client.address === defaultAddress ? "" : ` --address ${client.address}`} --namespace ${client.namespace}`
  return `${ctr} tasks kill --signal SIGKILL ${id}; ${ctr} tasks delete ${id}; ${ctr} containers delete ${id}`
}

/**
 * The container record, with the runtime (the shim and its options) and the
 * spec; deleted when the scope closes, once `task` says its task is gone.
 */
export const containerResource = (
  id: string,
  choice: RuntimeChoice,
  spec: Any,
  task: TaskState,
  report: CleanupReport
): Effect.Effect<void, ContainerdError, ContainerdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* ContainerdClient
    yield* Effect.addFinalizer(() =>
      !task.containerMayExist
        ? Effect.void
        : task.gone
        ? Effect.asVoid(step(report, `delete container ${id}`, client.deleteContainer(id)))
        : report(
          `left container ${id} in namespace ${client.namespace}: its task could not be stopped; ` +
            `remove both with: ${ctrCommands(client, id)}`
        )
    )
    yield* creating(
      client.createContainer({
        id,
        labels: { [labels.createdBy]: "oci-runtimes", [labels.runtime]: choice.runtime, [labels.pid]: String(process.pid) },
        // The shim's options go here and only here: containerd 2.x reads any
        // options on the task request as runc's, whatever the shim.
        runtime: { name: choice.shim, ...(choice.options === undefined ? {} : { options: shimOptionsAny(choice.options) }) },
        spec
      }),
      (yes) => (task.containerMayExist = yes)
    )
  })

/**
 * The task — the shim and the container's init process, created but not
 * started — with the given stdout and stderr FIFOs. When the scope closes it
 * is killed (unless it has exited), waited for, and deleted.
 */
export const taskResource = (
  id: string,
  stdio: { readonly stdout: string; readonly stderr: string },
  task: TaskState,
  report: CleanupReport
): Effect.Effect<void, ContainerdError, ContainerdClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* ContainerdClient
    yield* Effect.addFinalizer(() =>
      task.gone ? Effect.void : Effect.gen(function*() {
        if (!task.exited) {
          yield* step(report, `kill task ${id}`, client.killTask(id, SIGKILL, { all: true }))
          yield* client.waitTask(id).pipe(Effect.timeout(killGrace), Effect.ignore)
        }
        task.gone = yield* step(report, `delete task ${id}`, client.deleteTask(id))
      })
    )
    yield* creating(
      client.createTask({ containerId: id, stdout: stdio.stdout, stderr: stdio.stderr }),
      (yes) => (task.gone = !yes)
    )
  })
