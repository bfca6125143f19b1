import { create } from "@bufbuild/protobuf"
import { AnySchema } from "@bufbuild/protobuf/wkt"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { ContainerdClient } from "../../src/containerd/ContainerdClient.ts"
import { ContainerdError } from "../../src/containerd/ContainerdError.ts"
import {
  containerResource,
  initialTaskState,
  startThroughRestarts,
  type TaskState,
  taskResource
} from "../../src/containerd/ContainerLifecycle.ts"
import { Status } from "../../src/containerd/api/containerd/types/task/task_pb.ts"
import type { RuntimeChoice } from "../../src/registry/RuntimeTable.ts"

const choice: RuntimeChoice = { runtime: "runc", shim: "io.containerd.runc.v2", options: undefined, preflightPath: undefined }
const spec = create(AnySchema, { typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec" })

const status = (operation: string, code: number, detail: string) =>
  new ContainerdError({
    address: "fake.sock",
    operation,
    containerId: "c1",
    reason: { _tag: "Status", code, codeName: code === 5 ? "not_found" : "failed_precondition", detail }
  })

/**
 * A containerd that records the calls it gets and answers each as `answers`
 * says (success by default); only the calls a lifecycle makes are there.
 */
const fakeContainerd = (answers: { readonly [operation: string]: ContainerdError } = {}) => {
  const calls: Array<string> = []
  const answer = <A>(operation: string, value: A) =>
    Effect.suspend(() => {
      calls.push(operation)
      const error = answers[operation]
      return error === undefined ? Effect.succeed(value) : Effect.fail(error)
    })
  const client = {
    address: "fake.sock",
    namespace: "ns",
    createContainer: () => answer("Containers.Create", {}),
    deleteContainer: () => answer("Containers.Delete", undefined),
    createTask: () => answer("Tasks.Create", {}),
    killTask: () => answer("Tasks.Kill", undefined),
    waitTask: () => answer("Tasks.Wait", {}),
    deleteTask: () => answer("Tasks.Delete", {})
  } as unknown as ContainerdClient
  return { client, calls }
}

/** Creates the container and its task in a scope, then closes it; what cleanup reported. */
const createThenClose = (client: ContainerdClient, task: TaskState) =>
  Effect.gen(function*() {
    const reports: Array<string> = []
    const report = (message: string) => Effect.sync(() => void reports.push(message))
    const scope = yield* Scope.make()
    yield* Effect.gen(function*() {
      yield* containerResource("c1", choice, spec, task, report)
      yield* taskResource("c1", { stdout: "/o", stderr: "/e" }, task, report)
    }).pipe(Scope.provide(scope), Effect.provideService(ContainerdClient, client))
    yield* Scope.close(scope, Exit.void)
    return reports
  })

describe("starting a task through a containerd restart", () => {
  const lostReply = new ContainerdError({
    address: "fake.sock",
    operation: "Tasks.Start",
    containerId: "c1",
    reason: { _tag: "Unreachable", detail: "the connection closed during the call", sent: true }
  })

  /** A containerd whose first Tasks.Start reply is lost, and which then reports the task in `status`. */
  const restartingContainerd = (status: number) => {
    const calls: Array<string> = []
    const client = {
      startTask: () =>
        Effect.suspend(() => {
          calls.push("Tasks.Start")
          return calls.length === 1 ? Effect.fail(lostReply) : Effect.succeed(42)
        }),
      getTask: () => Effect.sync(() => (calls.push("Tasks.Get"), { status }))
    } as unknown as ContainerdClient
    return { calls, client }
  }

  it.effect("starts the task again when it is still only created", () =>
    Effect.gen(function*() {
      const { calls, client } = restartingContainerd(Status.CREATED)
      yield* startThroughRestarts("c1").pipe(Effect.provideService(ContainerdClient, client))
      expect(calls).toEqual(["Tasks.Start", "Tasks.Get", "Tasks.Start"])
    }))

  it.effect("does not start a task twice when the lost reply had started it", () =>
    Effect.gen(function*() {
      const { calls, client } = restartingContainerd(Status.RUNNING)
      yield* startThroughRestarts("c1").pipe(Effect.provideService(ContainerdClient, client))
      expect(calls).toEqual(["Tasks.Start", "Tasks.Get"])
    }))
})

describe("container and task cleanup", () => {
  it.effect("kills, waits for and deletes a task that has not exited, then deletes the container", () =>
    Effect.gen(function*() {
      const { calls, client } = fakeContainerd()
      const reports = yield* createThenClose(client, initialTaskState())
      expect(calls).toEqual(["Containers.Create", "Tasks.Create", "Tasks.Kill", "Tasks.Wait", "Tasks.Delete", "Containers.Delete"])
      expect(reports).toEqual([])
    }))

  it.effect("does not kill a task known to have exited", () =>
    Effect.gen(function*() {
      const { calls, client } = fakeContainerd()
      const task = initialTaskState()
      const scope = yield* Scope.make()
      yield* Effect.gen(function*() {
        yield* containerResource("c1", choice, spec, task, () => Effect.void)
        yield* taskResource("c1", { stdout: "/o", stderr: "/e" }, task, () => Effect.void)
        task.exited = true
      }).pipe(Scope.provide(scope), Effect.provideService(ContainerdClient, client))
      yield* Scope.close(scope, Exit.void)
      expect(calls).toEqual(["Containers.Create", "Tasks.Create", "Tasks.Delete", "Containers.Delete"])
    }))

  it.effect("keeps the container, and says how to remove both, when its task cannot be deleted", () =>
    Effect.gen(function*() {
      const { calls, client } = fakeContainerd({
        "Tasks.Delete": status("Tasks.Delete", 9, "cannot delete a running process")
      })
      const reports = yield* createThenClose(client, initialTaskState())
      expect(calls).not.toContain("Containers.Delete")
      expect(reports).toHaveLength(2)
      expect(reports[0]).toContain("could not delete task c1")
      expect(reports[1]).toContain("left container c1 in namespace ns")
      expect(reports[1]).toContain("ctr --address fake.sock --namespace ns tasks kill --signal SIGKILL c1")
    }))

  it.effect("still deletes the task when the kill fails", () =>
    Effect.gen(function*() {
      const { calls, client } = fakeContainerd({ "Tasks.Kill": status("Tasks.Kill", 9, "kill refused") })
      const reports = yield* createThenClose(client, initialTaskState())
      expect(calls).toContain("Tasks.Delete")
      expect(calls.at(-1)).toBe("Containers.Delete")
      expect(reports).toEqual([expect.stringContaining("could not kill task c1")])
    }))

  it.effect("takes a task that is already gone for deleted", () =>
    Effect.gen(function*() {
      const { calls, client } = fakeContainerd({
        "Tasks.Kill": status("Tasks.Kill", 5, "process already finished"),
        "Tasks.Delete": status("Tasks.Delete", 5, "task not found")
      })
      const reports = yield* createThenClose(client, initialTaskState())
      expect(calls.at(-1)).toBe("Containers.Delete")
      expect(reports).toEqual([])
    }))

  it.effect("deletes the container when the task was never created", () =>
    Effect.gen(function*() {
      const { calls, client } = fakeContainerd({ "Tasks.Create": status("Tasks.Create", 2, "failed to start shim") })
      const task = initialTaskState()
      const scope = yield* Scope.make()
      const created = yield* Effect.gen(function*() {
        yield* containerResource("c1", choice, spec, task, () => Effect.void)
        yield* taskResource("c1", { stdout: "/o", stderr: "/e" }, task, () => Effect.void)
      }).pipe(Scope.provide(scope), Effect.provideService(ContainerdClient, client), Effect.exit)
      yield* Scope.close(scope, Exit.void)
      expect(Exit.isFailure(created)).toBe(true)
      expect(calls).toEqual(["Containers.Create", "Tasks.Create", "Containers.Delete"])
    }))

  it.effect("cleans up after a task create that went out and got no answer, as if it had succeeded", () =>
    Effect.gen(function*() {
      const { calls, client } = fakeContainerd({
        "Tasks.Create": new ContainerdError({
          address: "fake.sock",
          operation: "Tasks.Create",
          containerId: "c1",
          reason: { _tag: "Unreachable", detail: "the connection closed during the call", sent: true }
        })
      })
      const task = initialTaskState()
      const scope = yield* Scope.make()
      yield* Effect.gen(function*() {
        yield* containerResource("c1", choice, spec, task, () => Effect.void)
        yield* taskResource("c1", { stdout: "/o", stderr: "/e" }, task, () => Effect.void)
      }).pipe(Scope.provide(scope), Effect.provideService(ContainerdClient, client), Effect.exit)
      yield* Scope.close(scope, Exit.void)
      expect(calls).toEqual(["Containers.Create", "Tasks.Create", "Tasks.Kill", "Tasks.Wait", "Tasks.Delete", "Containers.Delete"])
    }))

  it.effect("leaves alone a container containerd refused to create (the id is someone else's)", () =>
    Effect.gen(function*() {
      const { calls, client } = fakeContainerd({
        "Containers.Create": status("Containers.Create", 6, "container \"c1\": already exists")
      })
      const scope = yield* Scope.make()
      yield* containerResource("c1", choice, spec, initialTaskState(), () => Effect.void).pipe(
        Scope.provide(scope),
        Effect.provideService(ContainerdClient, client),
        Effect.exit
      )
      yield* Scope.close(scope, Exit.void)
      expect(calls).toEqual(["Containers.Create"])
    }))

  it.effect("deletes nothing when the container was never created", () =>
    Effect.gen(function*() {
      const { calls, client } = fakeContainerd({
        "Containers.Create": new ContainerdError({
          address: "fake.sock",
          operation: "Containers.Create",
          reason: { _tag: "Unreachable", detail: "dial unix fake.sock: connect: no such file or directory", sent: false }
        })
      })
      const reports: Array<string> = []
      const scope = yield* Scope.make()
      yield* containerResource("c1", choice, spec, initialTaskState(), (message) =>
        Effect.sync(() => void reports.push(message))).pipe(
          Scope.provide(scope),
          Effect.provideService(ContainerdClient, client),
          Effect.exit
        )
      yield* Scope.close(scope, Exit.void)
      expect(calls).toEqual(["Containers.Create"])
      expect(reports).toEqual([])
    }))
})
