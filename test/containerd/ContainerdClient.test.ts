import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import { Code, ConnectError } from "@connectrpc/connect"
import { afterAll, describe, expect, it, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { inject } from "vitest"
import { OptionsSchema } from "../../src/containerd/api/containerd/runc/options/oci_pb.ts"
import { Containers } from "../../src/containerd/api/containerd/services/containers/v1/containers_pb.ts"
import { Tasks } from "../../src/containerd/api/containerd/services/tasks/v1/tasks_pb.ts"
import { Version } from "../../src/containerd/api/containerd/services/version/v1/version_pb.ts"
import { Status } from "../../src/containerd/api/containerd/types/task/task_pb.ts"
import {
  ContainerdClient,
  type ContainerdClientOptions,
  layer as layer_
} from "../../src/containerd/ContainerdClient.ts"
import type { ContainerdError } from "../../src/containerd/ContainerdError.ts"
import * as FakeContainerd from "./FakeContainerd.ts"

/** The client of a fresh layer, built in the test's scope and closed with it. */
const clientOf = (options: ContainerdClientOptions) =>
  Layer.build(layer_(options)).pipe(Effect.map(Context.get(ContainerdClient)))

const failureOf = <A>(effect: Effect.Effect<A, ContainerdError>) => Effect.flip(effect)

describe("ContainerdClient against a fake containerd", () => {
  it.live("maps a status to its code, containerd's code name and message, and the container", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make({
        routes: (router) =>
          router.service(Containers, {
            get: (request) => {
              throw new ConnectError(`container "${request.id}" in namespace "ns": not found`, Code.NotFound)
            }
          })
      })
      const client = yield* clientOf({ address: fake.address, namespace: "ns" })
      const error = yield* failureOf(client.getContainer("nope"))
      expect(error.address).toBe(fake.address)
      expect(error.operation).toBe("Containers.Get")
      expect(error.containerId).toBe("nope")
      expect(error.reason).toEqual({
        _tag: "Status",
        code: 5,
        codeName: "not_found",
        detail: `container "nope" in namespace "ns": not found`
      })
    }))

  it.live("sends the namespace on every call", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make()
      const client = yield* clientOf({ address: fake.address, namespace: "client-ns" })
      const calls = [
        client.version,
        client.createContainer({ id: "c" }),
        client.getContainer("c"),
        client.listContainers(),
        client.deleteContainer("c"),
        client.createTask({ containerId: "c" }),
        client.startTask("c"),
        client.waitTask("c"),
        client.killTask("c", 9),
        client.deleteTask("c"),
        client.getTask("c"),
        client.listTasks
      ]
      // Every method answers unimplemented here; only what arrived matters.
      for (const call of calls) yield* Effect.ignore(call)
      expect(fake.calls.map((call) => call.path)).toEqual([
        FakeContainerd.pathOf(Version.method.version),
        FakeContainerd.pathOf(Containers.method.create),
        FakeContainerd.pathOf(Containers.method.get),
        FakeContainerd.pathOf(Containers.method.list),
        FakeContainerd.pathOf(Containers.method.delete),
        FakeContainerd.pathOf(Tasks.method.create),
        FakeContainerd.pathOf(Tasks.method.start),
        FakeContainerd.pathOf(Tasks.method.wait),
        FakeContainerd.pathOf(Tasks.method.kill),
        FakeContainerd.pathOf(Tasks.method.delete),
        FakeContainerd.pathOf(Tasks.method.get),
        FakeContainerd.pathOf(Tasks.method.list)
      ])
      expect(fake.calls.every((call) => call.namespace === "client-ns")).toBe(true)
    }))

  it.live("a call containerd does not answer fails with Timeout once the bound has passed", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make({
        routes: (router) => router.service(Version, { version: FakeContainerd.never })
      })
      const client = yield* clientOf({ address: fake.address, callTimeout: "200 millis" })
      const started = Date.now()
      const error = yield* failureOf(client.version)
      const elapsed = Date.now() - started
      expect(error.reason).toEqual({ _tag: "Timeout", millis: 200 })
      expect(error.operation).toBe("Version.Version")
      expect(elapsed).toBeGreaterThanOrEqual(190)
      // Without the bound the call would wait for ever.
      expect(elapsed).toBeLessThan(3_000)
    }))

  it.live("a call whose answer stops after the headers fails with Timeout too", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make({
        raw: [[Version.method.version, (_request, response) => {
          response.writeHead(200, { "content-type": "application/grpc" })
          response.write(new Uint8Array(0))
        }]]
      })
      const client = yield* clientOf({ address: fake.address, callTimeout: "200 millis" })
      const error = yield* failureOf(client.version)
      expect(error.reason).toEqual({ _tag: "Timeout", millis: 200 })
    }))

  it.live("waitTask is not bounded by the call timeout", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make({
        routes: (router) =>
          router.service(Tasks, {
            wait: async () => {
              await new Promise((resolve) => setTimeout(resolve, 400))
              return { exitStatus: 3 }
            }
          })
      })
      const client = yield* clientOf({ address: fake.address, callTimeout: "100 millis" })
      const answer = yield* client.waitTask("c")
      expect(answer.exitStatus).toBe(3)
    }))

  it.live("a connection dropped during a call fails with Unreachable", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make({
        routes: (router, fake) =>
          router.service(Tasks, {
            wait: (request, context) => {
              fake.dropConnections()
              return FakeContainerd.never(request, context)
            }
          })
      })
      const client = yield* clientOf({ address: fake.address })
      const error = yield* failureOf(client.waitTask("c"))
      expect(error.operation).toBe("Tasks.Wait")
      expect(error.containerId).toBe("c")
      expect(error.reason).toEqual({
        _tag: "Unreachable",
        detail: "the connection closed during the call",
        sent: true
      })
    }))

  it.live("a missing socket fails with Unreachable naming the address, in Go's words", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make()
      const address = join(fake.address, "..", "absent.sock")
      const client = yield* clientOf({ address })
      const error = yield* failureOf(client.version)
      expect(error.reason).toEqual({
        _tag: "Unreachable",
        detail: `dial unix ${address}: connect: no such file or directory`,
        sent: false
      })
      expect(error.message).toBe(
        `cannot reach containerd at ${address}: dial unix ${address}: connect: no such file or directory`
      )
    }))

  it.live("a socket path nobody listens on fails with Unreachable: connection refused", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make()
      const address = join(fake.address, "..", "not-a-socket")
      writeFileSync(address, "")
      const client = yield* clientOf({ address })
      const error = yield* failureOf(client.listTasks)
      expect(error.reason).toEqual({
        _tag: "Unreachable",
        detail: `dial unix ${address}: connect: connection refused`,
        sent: false
      })
    }))

  it.live("a status sent after the response headers is still containerd's status", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make({
        raw: [[Tasks.method.kill, (_request, response) => {
          response.writeHead(200, { "content-type": "application/grpc" })
          response.addTrailers({ "grpc-status": "9", "grpc-message": encodeURIComponent("process already finished") })
          response.end()
        }]]
      })
      const client = yield* clientOf({ address: fake.address })
      const error = yield* failureOf(client.killTask("c", 15))
      expect(error.reason).toEqual({
        _tag: "Status",
        code: 9,
        codeName: "failed_precondition",
        detail: "process already finished"
      })
    }))

  it.live("closing the layer's scope closes the connection", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make({
        routes: (router) => router.service(Version, { version: () => ({ version: "1.6.20", revision: "x" }) })
      })
      const version = yield* Effect.scoped(
        Effect.gen(function*() {
          const client = yield* clientOf({ address: fake.address })
          const answer = yield* client.version
          expect(fake.openConnections()).toBe(1)
          return answer.version
        })
      )
      expect(version).toBe("1.6.20")
      yield* fake.allConnectionsClosed.pipe(Effect.timeout("1 second"))
      expect(fake.openConnections()).toBe(0)
    }))

  it.live("a call made after the layer's scope closed fails instead of reconnecting", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make({
        routes: (router) => router.service(Version, { version: () => ({ version: "1.6.20" }) })
      })
      const client = yield* Effect.scoped(clientOf({ address: fake.address }))
      const error = yield* failureOf(client.version)
      expect(error.reason).toEqual({ _tag: "Unreachable", detail: "the client was closed", sent: false })
      expect(fake.calls).toEqual([])
    }))

  it.live("interrupting a call cancels it on the server", () =>
    Effect.gen(function*() {
      let cancel = () => {}
      const cancelled = new Promise<void>((resolve) => (cancel = resolve))
      const fake = yield* FakeContainerd.make({
        routes: (router) =>
          router.service(Tasks, {
            wait: (request, context) => {
              context.signal.addEventListener("abort", () => cancel())
              return FakeContainerd.never(request, context)
            }
          })
      })
      const client = yield* clientOf({ address: fake.address })
      const fiber = yield* Effect.forkChild(client.waitTask("c"))
      yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(fiber)
      expect(Exit.hasInterrupts(yield* Fiber.await(fiber))).toBe(true)
      yield* Effect.promise(() => cancelled).pipe(Effect.timeout("1 second"))
    }))
})

const namespace = "client-test"
const address = inject("containerdAddress")
const rootfs = inject("busyboxRootfs")

const ctrList = (what: "containers" | "tasks"): Array<string> =>
  execFileSync("ctr", ["--address", address, "--namespace", namespace, what, "list", "--quiet"], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line !== "")

afterAll(() => {
  expect({ containers: ctrList("containers"), tasks: ctrList("tasks") }).toEqual({ containers: [], tasks: [] })
})

const uniqueId = (what: string): string => `client-${what}-${randomBytes(4).toString("hex")}`

/** The spec `ctr` would generate, running `args` in the busybox rootfs with no terminal. */
const specAny = (id: string, args: ReadonlyArray<string>) => {
  const spec = JSON.parse(execFileSync("ctr", ["oci", "spec"], { encoding: "utf8" }))
  spec.root = { path: rootfs }
  spec.process = { ...spec.process, args, cwd: "/", terminal: false }
  spec.linux = { ...spec.linux, cgroupsPath: `/${namespace}/${id}` }
  return {
    typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec",
    value: new TextEncoder().encode(JSON.stringify(spec))
  }
}

/** runc's options, under the type URL containerd's registry knows them by. */
const runcOptions = {
  typeUrl: "containerd.runc.v1.Options",
  value: toBinary(OptionsSchema, create(OptionsSchema, { binaryName: "runc" }))
}

/** A container running `args`, deleted (with any task still in it) when the test's scope closes. */
const containerRunning = (id: string, args: ReadonlyArray<string>, labels: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.flatMap(Effect.service(ContainerdClient), (client) =>
      client.createContainer({
        id,
        labels,
        runtime: { name: "io.containerd.runc.v2", options: runcOptions },
        spec: specAny(id, args)
      })),
    () =>
      Effect.flatMap(Effect.service(ContainerdClient), (client) =>
        Effect.ignore(client.killTask(id, 9)).pipe(
          Effect.andThen(Effect.ignore(client.deleteTask(id))),
          Effect.andThen(Effect.ignore(client.deleteContainer(id)))
        ))
  )

layer(layer_({ address, namespace }), { excludeTestServices: true })("ContainerdClient against containerd", (it) => {
  it.effect("Version answers containerd 1.6", () =>
    Effect.gen(function*() {
      const client = yield* ContainerdClient
      const answer = yield* client.version
      expect(answer.version).toMatch(/^1\.6\./)
      expect(client.namespace).toBe(namespace)
    }))

  it.effect("a container round-trips through create, get, a label-filtered list and delete", () =>
    Effect.gen(function*() {
      const client = yield* ContainerdClient
      const id = uniqueId("roundtrip")
      const spec = specAny(id, ["/bin/busybox", "true"])
      const created = yield* client.createContainer({
        id,
        labels: { "test.owner": id },
        runtime: { name: "io.containerd.runc.v2", options: runcOptions },
        spec
      })
      expect(created.id).toBe(id)
      const got = yield* client.getContainer(id)
      expect(got.labels).toEqual({ "test.owner": id })
      expect(got.runtime?.name).toBe("io.containerd.runc.v2")
      expect(got.runtime?.options?.typeUrl).toBe(runcOptions.typeUrl)
      expect(fromBinary(OptionsSchema, got.runtime?.options?.value ?? new Uint8Array()).binaryName).toBe("runc")
      expect(got.spec?.typeUrl).toBe(spec.typeUrl)
      expect(new TextDecoder().decode(got.spec?.value)).toBe(new TextDecoder().decode(spec.value))
      const listed = yield* client.listContainers([`labels."test.owner"==${id}`])
      expect(listed.map((container) => container.id)).toEqual([id])
      yield* client.deleteContainer(id)
      const error = yield* Effect.flip(client.getContainer(id))
      expect(error.reason).toMatchObject({ _tag: "Status", code: 5, codeName: "not_found" })
    }))

  it.effect("getting a container that does not exist fails with containerd's not_found", () =>
    Effect.gen(function*() {
      const client = yield* ContainerdClient
      const error = yield* Effect.flip(client.getContainer("nope"))
      expect(error.operation).toBe("Containers.Get")
      expect(error.containerId).toBe("nope")
      expect(error.reason).toEqual({
        _tag: "Status",
        code: 5,
        codeName: "not_found",
        detail: `container "nope" in namespace "${namespace}": not found`
      })
    }))

  it.effect("a task with no stdio runs busybox true to exit status 0 and is deleted", () =>
    Effect.gen(function*() {
      const client = yield* ContainerdClient
      const id = uniqueId("true")
      yield* containerRunning(id, ["/bin/busybox", "true"])
      const created = yield* client.createTask({ containerId: id, stdin: "", stdout: "", stderr: "" })
      expect(created.pid).toBeGreaterThan(0)
      const pid = yield* client.startTask(id)
      expect(pid).toBe(created.pid)
      const exited = yield* client.waitTask(id)
      expect(exited.exitStatus).toBe(0)
      const deleted = yield* client.deleteTask(id)
      expect(deleted.exitStatus).toBe(0)
      yield* client.deleteContainer(id)
    }))

  it.effect("a running task is listed and reported running; SIGKILL ends it with exit status 137", () =>
    Effect.gen(function*() {
      const client = yield* ContainerdClient
      const id = uniqueId("sleep")
      yield* containerRunning(id, ["/bin/busybox", "sleep", "30"])
      yield* client.createTask({ containerId: id })
      yield* client.startTask(id)
      const task = yield* client.getTask(id)
      expect(task.status).toBe(Status.RUNNING)
      expect((yield* client.listTasks).map((listed) => listed.id)).toContain(id)
      const waiting = yield* Effect.forkChild(client.waitTask(id))
      yield* client.killTask(id, 9)
      const exited = yield* Fiber.join(waiting)
      expect(exited.exitStatus).toBe(137)
      const deleted = yield* client.deleteTask(id)
      expect(deleted.exitStatus).toBe(137)
      yield* client.deleteContainer(id)
    }))
})

describe("ContainerdClient addresses", () => {
  it.live("reaches containerd at unix://PATH, as ctr does, and names the bare path", () =>
    Effect.gen(function*() {
      const client = yield* clientOf({ address: `unix://${address}`, namespace })
      const answer = yield* client.version
      expect(answer.version).toMatch(/^1\.6\./)
      expect(client.address).toBe(address)
    }))

  it.live("a unix:// address nobody listens on is reported with the bare path, in Go's words", () =>
    Effect.gen(function*() {
      const absent = join(address, "..", "absent.sock")
      const client = yield* clientOf({ address: `unix://${absent}` })
      const error = yield* failureOf(client.version)
      expect(error.message).toBe(
        `cannot reach containerd at ${absent}: dial unix ${absent}: connect: no such file or directory`
      )
    }))
})
