import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { InvalidRuntimeConfig } from "../../src/config/Errors.ts"
import * as ConfigWatcher from "../../src/daemon/ConfigWatcher.ts"
import * as HangupSignal from "../../src/daemon/HangupSignal.ts"
import * as ManagedRegistry from "../../src/daemon/ManagedRegistry.ts"
import type { FeatureProbe } from "../../src/features/FeatureProbe.ts"
import * as FileIdentity from "../../src/host/FileIdentity.ts"
import * as HostFacts from "../../src/host/HostFacts.ts"
import * as PathLookup from "../../src/host/PathLookup.ts"
import * as Registry from "../../src/registry/Registry.ts"
import { runtimeNamed } from "../../src/registry/RuntimeTable.ts"
import { probeLayer, runcFeatures, scriptedProbe } from "../registry/harness.ts"
import { systemdHost } from "../registry/support.ts"

/** A scratch directory with a daemon.json in it; `write` replaces the file's content. */
const configDirectory = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "managed-" })
  const file = posix.join(dir, "daemon.json")
  const write = (settings: object) =>
    fs.writeFileString(file, JSON.stringify({ "data-root": posix.join(dir, "data"), ...settings }))
  return { dir, file, write }
})

/** Every log line's level and text. */
const capturedLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push(`${logLevel}: ${(Array.isArray(message) ? message : [message]).join(" ")}`)
  })
  return { lines, layer: Logger.layer([logger]) }
}

interface Doubles {
  readonly hangup: HangupSignal.ScriptedHangupSignal
  readonly watcher: ConfigWatcher.ScriptedConfigWatcher
}

const doubles = Effect.all({ hangup: HangupSignal.makeScripted, watcher: ConfigWatcher.makeScripted })

/** The services a managed registry needs: a fixed host, scripted probes and signals, the real file system. */
const servicesFor = ({ hangup, watcher }: Doubles, probe: Layer.Layer<FeatureProbe> = scriptedProbe().layer) =>
  Layer.mergeAll(
    HostFacts.layerFixed(systemdHost),
    probe,
    PathLookup.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { PATH: "" } })))),
    FileIdentity.layer,
    hangup.layer,
    watcher.layer
  ).pipe(Layer.provideMerge(NodeFileSystem.layer))

/** Builds the managed registry for `source` in the current scope. */
const build = (source: ManagedRegistry.ConfigSource, using: Doubles, probe?: Layer.Layer<FeatureProbe>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(ManagedRegistry.layer(source).pipe(Layer.provide(servicesFor(using, probe))))
    return {
      managed: Context.get(context, ManagedRegistry.ManagedRegistry),
      registry: Context.get(context, Registry.RuntimeRegistry)
    }
  })


/**
 * A probe that answers at once, except that its `setup`th setup's probe of
 * `/slow` (0 for boot) says when it starts and then waits for `release`.
 */
const gatedProbe = (setup: number) =>
  Effect.gen(function*() {
    const started = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    let probes = 0
    const probe = probeLayer((argv) =>
      argv[0] === "/slow" && probes++ === setup
        ? Effect.andThen(Deferred.succeed(started, undefined), Effect.as(Deferred.await(release), runcFeatures))
        : Effect.succeed(runcFeatures)
    )
    return { probe, release, started }
  })

const crun = { path: "/usr/bin/crun" }

layer(NodeFileSystem.layer)("ManagedRegistry", (it) => {
  it.effect("building the layer boots from the file: generation 1, every runtime added", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({ runtimes: { crun } })
      const { managed } = yield* build({ file }, yield* doubles)
      const current = yield* managed.current
      expect(current.generation).toBe(1)
      expect(current.diff.added).toEqual(["crun", "io.containerd.runc.v2", "runc"])
      expect(runtimeNamed(current.table, "crun")?.config).toEqual(crun)
    }))

  it.effect("building the layer fails as boot fails, with the configuration's problems", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({ runtimes: { runc: { path: "/usr/bin/runc" } } })
      const error = yield* Effect.flip(build({ file }, yield* doubles))
      expect(error).toBeInstanceOf(InvalidRuntimeConfig)
      expect(error.message).toBe("runtime name 'runc' is reserved")
    }))

  it.effect("reload reads the file again and succeeds once the new table is in force", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({})
      const { managed, registry } = yield* build({ file }, yield* doubles)
      yield* write({ runtimes: { crun }, "default-runtime": "crun" })
      const update = yield* managed.reload
      expect(update.generation).toBe(2)
      expect(update.diff).toEqual({ added: ["crun"], removed: [], changed: [], defaultRuntime: { from: "runc", to: "crun" } })
      expect((yield* registry.get("")).runtime).toBe("crun")
    }))

  it.effect("a refused reload fails with the problems and keeps the table and generation in force", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({ runtimes: { crun } })
      const { managed, registry } = yield* build({ file }, yield* doubles)
      yield* write({ runtimes: { crun: { path: "/usr/bin/crun", runtimeType: "io.containerd.crun.v2" } } })
      const error = yield* Effect.flip(managed.reload)
      expect(error._tag).toBe("InvalidRuntimeConfig")
      expect((yield* managed.current).generation).toBe(1)
      expect((yield* registry.get("crun")).shim).toBe("io.containerd.runc.v2")
    }))

  it.effect("a refused reload logs that the generation in force stays, then each problem with its daemon.json path", () => {
    const logs = capturedLogs()
    return Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({})
      const { managed } = yield* build({ file }, yield* doubles)
      yield* write({ runtimes: { a: {}, b: { path: "/x", runtimeType: "io.containerd.b.v1" } } })
      logs.lines.length = 0
      yield* Effect.flip(managed.reload)
      expect(logs.lines).toEqual([
        "Error: runtime configuration refused (request); generation 1 stays in force",
        "Error: runtimes.a: runtime a: either a runtimeType or a path must be configured",
        "Error: runtimes.b: runtime b: cannot configure both path and runtimeType for the same runtime"
      ])
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("an applied reload logs what changed and the default runtime, then the table's warnings", () => {
    const logs = capturedLogs()
    return Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({ runtimes: { crun } })
      const { managed } = yield* build({ file }, yield* doubles)
      yield* write({ runtimes: { youki: { path: "/usr/bin/youki" } } })
      logs.lines.length = 0
      yield* managed.reload
      expect(logs.lines).toEqual([
        "Info: runtimes set up (request), generation 2: added youki; removed crun; default runtime runc",
        "Warn: runtimes.youki: Failed to run [/usr/bin/youki features]: fork/exec /usr/bin/youki: no such file or directory"
      ])
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("SIGHUP reloads from the file, and the outcome says so", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({})
      const using = yield* doubles
      const { managed, registry } = yield* build({ file }, using)
      yield* write({ runtimes: { crun } })
      const outcomes = yield* managed.outcomes
      yield* using.hangup.send
      const [outcome] = yield* outcomes.pipe(Stream.take(1), Stream.runCollect)
      expect(outcome?._tag === "Applied" && [outcome.trigger, outcome.update.generation]).toEqual(["SIGHUP", 2])
      expect((yield* registry.get("crun")).runtime).toBe("crun")
    }))

  it.effect("a SIGHUP received during boot reloads once boot is done, rather than being lost", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({ runtimes: { slow: { path: "/slow" } } })
      const { probe, release, started } = yield* gatedProbe(0)
      const using = yield* doubles
      const building = yield* Effect.forkScoped(build({ file }, using, probe))
      yield* Deferred.await(started)
      yield* using.hangup.send
      yield* Deferred.succeed(release, undefined)
      const { managed } = yield* Fiber.join(building)
      const reloaded = yield* managed.changes.pipe(Stream.filter((update) => update.generation === 2), Stream.runHead)
      expect(reloaded._tag).toBe("Some")
    }))

  it.effect("the flags apply on every reload, and a file that now conflicts with them is refused", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({})
      const flags = { addRuntimes: ["extra=/usr/bin/extra"], execOpts: [] }
      const { managed } = yield* build({ file, flags }, yield* doubles)
      yield* write({ runtimes: { crun } })
      const update = yield* managed.reload
      expect(update.table.runtimes.map((runtime) => runtime.name)).toContain("extra")
      yield* write({ runtimes: { extra: crun } })
      const error = yield* Effect.flip(managed.reload)
      expect(error.message).toContain("specified both as a flag and in the configuration file")
    }))

  it.effect("with watch on, a burst of file changes reloads once, after the file has been quiet for the debounce", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({})
      const using = yield* doubles
      const { managed } = yield* build({ file, watch: true, debounce: "200 millis" }, using)
      expect(yield* using.watcher.watched).toEqual([file])
      const outcomes = yield* managed.outcomes
      const next = yield* Effect.forkScoped(outcomes.pipe(Stream.take(1), Stream.runCollect))
      yield* write({ runtimes: { crun } })
      for (let i = 0; i < 3; i++) {
        yield* using.watcher.change(file)
        yield* TestClock.adjust("50 millis")
      }
      yield* TestClock.adjust("149 millis")
      expect((yield* managed.current).generation).toBe(1)
      yield* TestClock.adjust("1 millis")
      const [outcome] = yield* Fiber.join(next)
      expect(outcome?._tag === "Applied" && [outcome.trigger, outcome.update.generation]).toEqual(["file change", 2])
    }))

  it.effect("with watch on, a file left empty after a change is not applied: the write that fills it is", () => {
    const logs = capturedLogs()
    return Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { file, write } = yield* configDirectory
      yield* write({ runtimes: { crun } })
      const using = yield* doubles
      const { managed } = yield* build({ file, watch: true, debounce: "200 millis" }, using)
      logs.lines.length = 0
      yield* fs.writeFileString(file, "")
      yield* using.watcher.change(file)
      yield* TestClock.adjust("200 millis")
      const skipped = `Info: ${file} is empty: not reloaded until it is written (SIGHUP applies it as it is)`
      // The look at the file is real I/O: wait for its verdict (a reload would have logged otherwise).
      yield* Effect.promise(async () => {
        for (let waited = 0; !logs.lines.some((line) => line.startsWith("Info: ") || line.startsWith("Error: ")) && waited < 5000; waited += 10) {
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
      })
      expect(logs.lines).toContain(skipped)
      expect((yield* managed.current).generation).toBe(1)
      const outcomes = yield* managed.outcomes
      const next = yield* Effect.forkScoped(outcomes.pipe(Stream.take(1), Stream.runCollect))
      yield* write({ runtimes: { crun }, "default-runtime": "crun" })
      yield* using.watcher.change(file)
      yield* TestClock.adjust("200 millis")
      const [outcome] = yield* Fiber.join(next)
      expect(outcome?._tag === "Applied" && outcome.update.table.defaultRuntime).toBe("crun")
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("without watch, the file is not watched", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({})
      const using = yield* doubles
      yield* build({ file }, using)
      expect(yield* using.watcher.watched).toEqual([])
    }))

  it.effect("changes starts with the table in force, then gives each applied update, generations increasing", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({})
      const { managed } = yield* build({ file }, yield* doubles)
      const seen = yield* Effect.forkScoped(managed.changes.pipe(Stream.take(3), Stream.runCollect))
      yield* Effect.yieldNow
      yield* write({ runtimes: { crun } })
      yield* managed.reload
      yield* write({ runtimes: { runc: {} } })
      yield* Effect.flip(managed.reload)
      yield* write({ runtimes: {} })
      yield* managed.reload
      const generations = (yield* Fiber.join(seen)).map((update) => update.generation)
      expect(generations).toEqual([1, 2, 3])
    }))

  it.effect("requests made while a reload runs are served together by one more reload", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({ runtimes: { slow: { path: "/slow" } } })
      const { probe, release, started } = yield* gatedProbe(1)
      const { managed } = yield* build({ file }, yield* doubles, probe)
      const outcomes = yield* managed.outcomes
      const first = yield* Effect.forkScoped(managed.reload)
      yield* Deferred.await(started)
      const waiting = [
        yield* Effect.forkScoped(managed.reload),
        yield* Effect.forkScoped(managed.reload),
        yield* Effect.forkScoped(managed.reload)
      ]
      // The three forks run, and queue their requests, before this fiber resumes.
      yield* Effect.yieldNow
      yield* Deferred.succeed(release, undefined)
      expect((yield* Fiber.join(first)).generation).toBe(2)
      expect((yield* Fiber.joinAll(waiting)).map((update) => update.generation)).toEqual([3, 3, 3])
      expect((yield* outcomes.pipe(Stream.take(2), Stream.runCollect)).length).toBe(2)
    }))

  it.effect("the RuntimeRegistry it provides queues its setups too, so generations and changes stay true", () =>
    Effect.gen(function*() {
      const { dir, file, write } = yield* configDirectory
      yield* write({})
      const { managed, registry } = yield* build({ file }, yield* doubles)
      yield* registry.reload({
        runtimes: { crun },
        defaultRuntime: "",
        execOpts: [],
        dataRoot: posix.join(dir, "data"),
        execRoot: posix.join(dir, "exec")
      })
      const current = yield* managed.current
      expect([current.generation, current.diff.added]).toEqual([2, ["crun"]])
    }))

  it.effect("a reload asked for after the scope has closed is interrupted rather than left waiting", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({})
      const scope = yield* Scope.make()
      const { managed } = yield* build({ file }, yield* doubles).pipe(Scope.provide(scope))
      yield* Scope.close(scope, Exit.void)
      const exit = yield* Effect.exit(managed.reload)
      expect(Exit.hasInterrupts(exit)).toBe(true)
    }))

  it.effect("closing the scope stops listening for SIGHUP and watching the file", () =>
    Effect.gen(function*() {
      const { file, write } = yield* configDirectory
      yield* write({})
      const using = yield* doubles
      const scope = yield* Scope.make()
      yield* build({ file, watch: true }, using).pipe(Scope.provide(scope))
      expect([yield* using.hangup.listeners, (yield* using.watcher.watched).length]).toEqual([1, 1])
      yield* Scope.close(scope, Exit.void)
      expect([yield* using.hangup.listeners, (yield* using.watcher.watched).length]).toEqual([0, 0])
    }))
})
