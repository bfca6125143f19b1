/**
 * The API at the HTTP level: a real server on a unix socket in a temporary
 * directory, in this process, over a managed registry whose probes, signal
 * and watcher are test doubles.
 */
import { spawn } from "node:child_process"
import { request } from "node:http"
import { connect } from "node:net"
import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import type { ServerFacts } from "../../src/daemon/EngineRender.ts"
import { apiVersion } from "../../src/daemon/EngineRoutes.ts"
import * as EngineServer from "../../src/daemon/EngineServer.ts"
import { formatJson } from "../../src/json/JsonWriter.ts"
import { infoJson, resolutionJson } from "../../src/registry/TableJson.ts"
import { SocketInUse, SocketPathError } from "../../src/daemon/SocketFile.ts"
import * as ConfigWatcher from "../../src/daemon/ConfigWatcher.ts"
import * as HangupSignal from "../../src/daemon/HangupSignal.ts"
import * as ManagedRegistry from "../../src/daemon/ManagedRegistry.ts"
import * as FileIdentity from "../../src/host/FileIdentity.ts"
import * as HostFacts from "../../src/host/HostFacts.ts"
import * as PathLookup from "../../src/host/PathLookup.ts"
import { chooseRuntime, featuresOf } from "../../src/registry/RuntimeTable.ts"
import { runcFeatures, scriptedProbe } from "../registry/harness.ts"
import { systemdHost } from "../registry/support.ts"

const facts: ServerFacts = {
  version: "9.8.7",
  hostname: "testhost",
  kernelVersion: "6.1.0-test",
  machine: "x86_64",
  goArch: "amd64",
  cpus: 4,
  memoryBytes: 8_000_000_000,
  cgroupV2: true
}

interface Reply {
  readonly status: number
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly body: string
}

/** One request on the unix socket. */
const send = (socket: string, method: string, path: string): Effect.Effect<Reply> =>
  Effect.promise(() =>
    new Promise<Reply>((resolve, reject) => {
      const outgoing = request({ socketPath: socket, method, path, agent: false }, (response) => {
        let body = ""
        response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk))
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
      })
      outgoing.on("error", reject)
      outgoing.end()
    })
  )

/**
 * The status of each answer to `request` sent `count` times at once on one
 * connection, once all have come (or the server ended the connection, or 20 s passed).
 */
const pipelined = (socket: string, request: string, count: number) =>
  new Promise<Array<string>>((resolve) => {
    const connection = connect(socket)
    let received = ""
    const statuses = () => [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => match[1]!)
    const done = () => {
      clearTimeout(timer)
      connection.destroy()
      resolve(statuses())
    }
    const timer = setTimeout(done, 20_000)
    connection.setEncoding("latin1").on("data", (chunk: string) => {
      received += chunk
      if (statuses().length >= count) done()
    })
    connection.on("close", done)
    connection.on("error", () => {})
    connection.write(request.repeat(count))
  })

const kata = { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } }
const crun = { path: "/usr/bin/crun", runtimeArgs: ["--debug"] }

/** A served registry booted from `settings`, with the socket it listens on and the file it reads. */
const serve = (settings: object) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "engine-" })
    const file = posix.join(dir, "daemon.json")
    const write = (content: object) =>
      fs.writeFileString(file, JSON.stringify({ "data-root": posix.join(dir, "data"), ...content }))
    yield* write(settings)
    const hangup = yield* HangupSignal.makeScripted
    const watcher = yield* ConfigWatcher.makeScripted
    const socket = posix.join(dir, "api.sock")
    const services = Layer.mergeAll(
      HostFacts.layerFixed(systemdHost),
      scriptedProbe([[["/usr/bin/crun", "--debug"], runcFeatures]]).layer,
      PathLookup.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { PATH: "" } })))),
      FileIdentity.layer,
      hangup.layer,
      watcher.layer
    ).pipe(Layer.provideMerge(NodeFileSystem.layer))
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const context = yield* Layer.buildWithScope(
      EngineServer.layer(socket, facts).pipe(
        Layer.provideMerge(ManagedRegistry.layer({ file }, { scripts: "none" })),
        Layer.provide(services)
      ),
      scope
    )
    return { dir, socket, write, scope, managed: Context.get(context, ManagedRegistry.ManagedRegistry) }
  })

const json = (reply: Reply) => JSON.parse(reply.body)

/** A process that binds `socket` and is killed with SIGKILL, as a crash leaves it: the file stays, nobody listens. */
const leaveStaleSocket = (socket: string) =>
  Effect.promise(() =>
    new Promise<void>((resolve, reject) => {
      const script = `require("node:net").createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, "SIGKILL"))`
      const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" })
      child.on("error", reject)
      child.on("exit", () => resolve())
    })
  )

layer(NodeFileSystem.layer)("the Engine API on a unix socket", (it) => {
  it.effect("GET /_ping answers OK with the headers a client negotiates the API version from", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      const reply = yield* send(socket, "GET", "/_ping")
      expect(reply.status).toBe(200)
      expect(reply.body).toBe("OK")
      expect(reply.headers).toMatchObject({
        "api-version": apiVersion,
        "ostype": "linux",
        "docker-experimental": "false",
        "server": "oci-runtimes/9.8.7 (linux)",
        "cache-control": "no-cache, no-store, must-revalidate",
        "pragma": "no-cache",
        "swarm": "inactive",
        "content-type": "text/plain; charset=utf-8"
      })
    }))

  it.effect("HEAD /_ping has the same headers and no body, Content-Length 0", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      const reply = yield* send(socket, "HEAD", "/v1.41/_ping")
      expect(reply.status).toBe(200)
      expect(reply.body).toBe("")
      expect(reply.headers).toMatchObject({ "api-version": apiVersion, "content-length": "0" })
    }))

  it.effect("GET /info gives the runtimes, default runtime and cgroup driver exactly as info --json prints them", () =>
    Effect.gen(function*() {
      const { managed, socket } = yield* serve({ runtimes: { kata, crun }, "exec-opts": ["native.cgroupdriver=systemd"] })
      const { table } = yield* managed.current
      for (const path of ["/info", "/v1.41/info", "/v1.24/info", `/v${apiVersion}/info`]) {
        const reply = yield* send(socket, "GET", path)
        expect(reply.status).toBe(200)
        expect(reply.headers["content-type"]).toBe("application/json")
        expect(reply.body.endsWith("}\n")).toBe(true)
        const info = json(reply)
        expect(info.Runtimes).toEqual(JSON.parse(formatJson(infoJson(table).Runtimes)))
        expect(Object.keys(info.Runtimes)).toEqual(["crun", "io.containerd.runc.v2", "kata", "runc"])
        expect(info).toMatchObject({
          DefaultRuntime: "runc",
          CgroupDriver: "systemd",
          CgroupVersion: "2",
          OSType: "linux",
          Architecture: "x86_64",
          NCPU: 4,
          Name: "testhost",
          ServerVersion: "9.8.7",
          Swarm: { LocalNodeState: "inactive" }
        })
      }
    }))

  it.effect("GET /info gives the data root of the configuration in force as DockerRootDir", () =>
    Effect.gen(function*() {
      const { dir, managed, socket, write } = yield* serve({})
      expect(json(yield* send(socket, "GET", "/info")).DockerRootDir).toBe(posix.join(dir, "data"))
      yield* write({ "data-root": posix.join(dir, "elsewhere") })
      yield* managed.reload
      expect(json(yield* send(socket, "GET", "/info")).DockerRootDir).toBe(posix.join(dir, "elsewhere"))
    }))

  it.effect("GET /version names the API versions served", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      const version = json(yield* send(socket, "GET", "/v1.41/version"))
      expect(version).toMatchObject({
        Version: "9.8.7",
        ApiVersion: apiVersion,
        MinAPIVersion: "1.24",
        Os: "linux",
        Arch: "amd64",
        KernelVersion: "6.1.0-test"
      })
    }))

  it.effect("GET /runtimes/{name} is the resolution exactly as resolve --json prints it", () =>
    Effect.gen(function*() {
      const { managed, socket } = yield* serve({ runtimes: { kata, crun } })
      const { table } = yield* managed.current
      for (const name of ["kata", "crun", "runc"]) {
        const choice = Result.getOrThrow(chooseRuntime(table, name))
        const expected = formatJson(resolutionJson({ choice, features: featuresOf(table, name), warnings: table.warnings }))
        const reply = yield* send(socket, "GET", `/v1.41/runtimes/${name}`)
        expect(reply.status).toBe(200)
        expect(reply.body).toBe(`${expected}\n`)
      }
      expect(json(yield* send(socket, "GET", "/runtimes/crun")).features).toEqual(runcFeatures)
    }))

  it.effect("an unknown runtime name is a 404 in dockerd's words, in Docker's error body", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      const reply = yield* send(socket, "GET", "/runtimes/no%2Fsuch")
      expect(reply.status).toBe(404)
      expect(reply.headers["api-version"]).toBe(apiVersion)
      expect(reply.body).toBe("{\"message\":\"unknown or invalid runtime name: no/such\"}\n")
    }))

  it.effect("a name containerd may be handed as it is resolves to itself, as get does", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      expect(json(yield* send(socket, "GET", "/runtimes/io.containerd.kata.v2"))).toMatchObject({
        runtime: "io.containerd.kata.v2",
        shim: "io.containerd.kata.v2",
        options: null
      })
    }))

  it.effect("unknown paths and wrong methods are 404 {\"message\":\"page not found\"}, as dockerd answers them", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      for (const [method, path] of [["GET", "/containers/json"], ["POST", "/info"], ["PUT", "/v1.41/_ping"], ["GET", "/v1.41/nothing"]]) {
        const reply = yield* send(socket, method!, path!)
        expect(reply.status).toBe(404)
        expect(reply.headers["content-type"]).toBe("application/json")
        expect(reply.body).toBe("{\"message\":\"page not found\"}\n")
      }
    }))

  it.effect("a version outside the range served is a 400 in dockerd's words", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      const reply = yield* send(socket, "GET", "/v1.99/info")
      expect(reply.status).toBe(400)
      expect(json(reply)).toEqual({ message: `client version 1.99 is too new. Maximum supported API version is ${apiVersion}` })
      expect((yield* send(socket, "GET", "/v1.12/_ping")).status).toBe(400)
    }))

  it.effect("a broken percent-encoding is a 400 with a Docker error body, not a stack trace", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      const reply = yield* send(socket, "GET", "/runtimes/%E0%A4%A")
      expect(reply.status).toBe(400)
      expect(Object.keys(json(reply))).toEqual(["message"])
    }))

  it.effect("after a reload the next request answers from the new table; a refused one leaves the old", () =>
    Effect.gen(function*() {
      const { managed, socket, write } = yield* serve({})
      yield* write({ runtimes: { kata }, "default-runtime": "kata" })
      yield* managed.reload
      expect(json(yield* send(socket, "GET", "/info")).DefaultRuntime).toBe("kata")
      yield* write({ runtimes: { broken: {} } })
      yield* Effect.flip(managed.reload)
      expect(json(yield* send(socket, "GET", "/info")).DefaultRuntime).toBe("kata")
    }))

  it.effect("one connection gets 100 answers; Node refuses what it pipelines beyond them with a 503", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      const statuses = yield* Effect.promise(() => pipelined(socket, "GET /_ping HTTP/1.1\r\nHost: d\r\n\r\n", 150))
      expect(statuses.filter((status) => status === "200")).toHaveLength(100)
      expect(new Set(statuses.slice(100))).toEqual(new Set(["503"]))
    }))

  it.effect("requests served during reloads each see exactly one of the tables", () =>
    Effect.gen(function*() {
      const { managed, socket, write } = yield* serve({})
      const configurations = [{ runtimes: { kata } }, { runtimes: { crun }, "default-runtime": "crun" }]
      const expected = new Set<string>()
      for (const configuration of configurations) {
        yield* write(configuration)
        yield* managed.reload
        expected.add(JSON.stringify(json(yield* send(socket, "GET", "/info")).Runtimes) + (yield* managed.current).table.defaultRuntime)
      }
      const reloads = Effect.forEach(
        Array.from({ length: 20 }, (_, index) => configurations[index % 2]!),
        (configuration) => Effect.andThen(write(configuration), managed.reload)
      )
      const requests = Effect.forEach(
        Array.from({ length: 200 }),
        () => Effect.map(send(socket, "GET", "/info"), (reply) => JSON.stringify(json(reply).Runtimes) + json(reply).DefaultRuntime),
        { concurrency: 10 }
      )
      const [, seen] = yield* Effect.all([reloads, requests], { concurrency: 2 })
      for (const answer of seen) expect(expected.has(answer)).toBe(true)
    }))

  it.effect("the socket is created with mode 0660 and removed when the server stops", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { scope, socket } = yield* serve({})
      expect((yield* fs.stat(socket)).mode & 0o777).toBe(0o660)
      yield* Scope.close(scope, Exit.void)
      expect(yield* fs.exists(socket)).toBe(false)
    }))

  it.effect("a stale socket file, nothing listening on it, is replaced", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "engine-" })
      const socket = posix.join(dir, "api.sock")
      yield* leaveStaleSocket(socket)
      expect((yield* fs.stat(socket)).type).toBe("Socket")
      yield* Effect.scoped(Layer.build(EngineServer.listenOn(socket)))
      expect(yield* fs.exists(socket)).toBe(false)
    }))

  it.effect("a socket something still listens on is refused, and left alone", () =>
    Effect.gen(function*() {
      const { socket } = yield* serve({})
      const error = yield* Effect.flip(Effect.scoped(Layer.build(EngineServer.listenOn(socket))))
      expect(error).toBeInstanceOf(SocketInUse)
      expect(error.message).toBe(`cannot listen on ${socket}: another process is listening on it`)
      expect((yield* send(socket, "GET", "/_ping")).body).toBe("OK")
    }))

  it.effect("a path that is not a socket is refused, and left alone", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { dir } = yield* serve({})
      const path = posix.join(dir, "daemon.json")
      const error = yield* Effect.flip(Effect.scoped(Layer.build(EngineServer.listenOn(path))))
      expect(error).toBeInstanceOf(SocketPathError)
      expect(error.message).toBe(`cannot listen on ${path}: it exists and is not a socket`)
      expect(yield* fs.exists(path)).toBe(true)
    }))

  it.effect("a path longer than a client can connect to (107 bytes) is refused", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "engine-" })
      const path = posix.join(dir, "s".repeat(108 - dir.length - 1))
      expect(Buffer.byteLength(path)).toBe(108)
      const error = yield* Effect.flip(Effect.scoped(Layer.build(EngineServer.listenOn(path))))
      expect(error.message).toBe(`cannot listen on ${path}: the path is 108 bytes long; a unix socket's may be 107 at most`)
    }))

  it.effect("a socket in a directory that does not exist says so, not \"permission denied\"", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "engine-" })
      const path = posix.join(dir, "absent", "api.sock")
      const error = yield* Effect.flip(Effect.scoped(Layer.build(EngineServer.listenOn(path))))
      expect(error.message).toBe(`cannot listen on ${path}: no such file or directory`)
    }))

  it.effect("stopping leaves alone a socket another server has since created at the path", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "engine-" })
      const path = posix.join(dir, "api.sock")
      const first = yield* Scope.make()
      yield* Layer.buildWithScope(EngineServer.listenOn(path), first)
      yield* fs.remove(path)
      yield* Layer.build(EngineServer.listenOn(path))
      const secondSocket = yield* fs.stat(path)
      yield* Scope.close(first, Exit.void)
      expect((yield* fs.stat(path)).ino).toEqual(secondSocket.ino)
      expect(yield* fs.readDirectory(dir)).toEqual(["api.sock"])
    }))

  it.effect("of two servers started at once at one path, one listens and the other is refused", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "engine-" })
      const path = posix.join(dir, "api.sock")
      const outcomes = yield* Effect.all(
        [0, 1].map(() => Effect.result(Layer.build(EngineServer.listenOn(path)))),
        { concurrency: 2 }
      )
      expect(outcomes.filter(Result.isSuccess)).toHaveLength(1)
      expect(outcomes.filter(Result.isFailure).map((outcome) => outcome.failure)).toEqual([new SocketInUse({ path })])
      expect(yield* fs.readDirectory(dir)).toEqual(["api.sock"])
    }))
})
