import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it, layer, vi } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import { argvKey } from "../../src/features/FeatureProbe.ts"
import * as ScriptedFeatureProbe from "../../src/features/ScriptedFeatureProbe.ts"
import * as HostFacts from "../../src/host/HostFacts.ts"
import { runtimeNamed } from "../../src/registry/RuntimeTable.ts"
import { setupRuntimes } from "../../src/registry/Setup.ts"
import { WrapperWriteError } from "../../src/wrappers/ScriptStore.ts"
import { fileSystemWith, systemError } from "../wrappers/fileSystems.ts"
import { plainHost, withRuntimes } from "./support.ts"
import * as FileIdentity from "../../src/host/FileIdentity.ts"

const features = { ociVersionMin: "1.0.0" }

/** Every runtime answers its probe; writes are never made (scripts mode "none" needs no file system). */
const scripted = () => {
  const probe = ScriptedFeatureProbe.make(
    new Map([
      [argvKey(["runc"]), features],
      [argvKey(["/usr/bin/crun"]), features],
      [argvKey(["/usr/bin/youki"]), features]
    ])
  )
  const services = Layer.mergeAll(
    probe.layer,
    HostFacts.layerFixed(plainHost),
    FileSystem.layerNoop({}),
    FileIdentity.layerFrom(() => undefined)
  )
  return { probe, services }
}

const config = withRuntimes(
  { crun: { path: "/usr/bin/crun" }, youki: { path: "/usr/bin/youki" } },
  { defaultRuntime: "crun" }
)

describe("setupRuntimes with probeOnly", () => {
  it.effect("probes only the runtime named, leaving the others' features unknown", () => {
    const { probe, services } = scripted()
    return Effect.gen(function*() {
      const table = yield* setupRuntimes(config, { probeOnly: "youki" })
      expect(probe.calls(["/usr/bin/youki"])).toBe(1)
      expect(probe.calls(["/usr/bin/crun"]) + probe.calls(["runc"])).toBe(0)
      expect(runtimeNamed(table, "youki")?.features).toEqual(features)
      expect(runtimeNamed(table, "crun")?.features).toBeUndefined()
    }).pipe(Effect.provide(services))
  })

  it.effect("probes the default runtime for the empty name", () => {
    const { probe, services } = scripted()
    return Effect.gen(function*() {
      yield* setupRuntimes(config, { probeOnly: "" })
      expect(probe.calls(["/usr/bin/crun"])).toBe(1)
      expect(probe.calls(["/usr/bin/youki"]) + probe.calls(["runc"])).toBe(0)
    }).pipe(Effect.provide(services))
  })

  it.effect("probes the runtimes of a list, the empty name as the default", () => {
    const { probe, services } = scripted()
    return Effect.gen(function*() {
      yield* setupRuntimes(config, { probeOnly: ["", "youki"] })
      expect([["runc"], ["/usr/bin/crun"], ["/usr/bin/youki"]].map(probe.calls)).toEqual([0, 1, 1])
    }).pipe(Effect.provide(services))
  })

  it.effect("probes nothing for an empty list", () => {
    const { probe, services } = scripted()
    return Effect.gen(function*() {
      const table = yield* setupRuntimes(config, { probeOnly: [] })
      expect([["runc"], ["/usr/bin/crun"], ["/usr/bin/youki"]].map(probe.calls)).toEqual([0, 0, 0])
      expect(table.runtimes.map((runtime) => runtime.features)).toEqual([undefined, undefined, undefined, undefined])
    }).pipe(Effect.provide(services))
  })

  it.effect("probes every runtime without it", () => {
    const { probe, services } = scripted()
    return Effect.gen(function*() {
      yield* setupRuntimes(config)
      expect([["runc"], ["/usr/bin/crun"], ["/usr/bin/youki"]].map(probe.calls)).toEqual([1, 1, 1])
    }).pipe(Effect.provide(services))
  })
})

describe("setupRuntimes with failing probes", () => {
  /** `count` runtimes of binaries of their own, none of which the probe knows. */
  const failing = (count: number) =>
    withRuntimes(Object.fromEntries(Array.from({ length: count }, (_, i) => [`r${i}`, { path: `/usr/bin/r${i}` }])))
  const services = Layer.mergeAll(
    ScriptedFeatureProbe.make(new Map()).layer,
    HostFacts.layerFixed(plainHost),
    FileSystem.layerNoop({}),
    FileIdentity.layerFrom(() => undefined)
  )

  it.effect("names the runtimes behind each failed probe with work linear in the runtimes", () =>
    Effect.gen(function*() {
      // An argv's key is its JSON text, so stringify calls count the argvs looked at; wall time would be flaky.
      const stringify = vi.spyOn(JSON, "stringify")
      const { calls, table } = yield* setupRuntimes(failing(2000)).pipe(
        Effect.map((table) => ({ table, calls: stringify.mock.calls.length })),
        Effect.ensuring(Effect.sync(() => stringify.mockRestore()))
      )
      expect(table.warnings).toHaveLength(2001)
      expect(table.warnings.find((warning) => warning.path === "runtimes.r1999")?.message).toContain("/usr/bin/r1999")
      // Quadratic work is 4,000,000 of them.
      expect(calls).toBeLessThan(20 * 2000)
    }).pipe(Effect.provide(services)))
})

layer(Layer.merge(NodeFileSystem.layer, FileIdentity.layer), { excludeTestServices: true })("setupRuntimes writing scripts", (it) => {
  /**
   * A configuration of one wrapper runtime in a fresh data root, and a probe
   * that says when it starts, then runs `answer` (and says if interrupted).
   */
  const wrapperSetup = (answer: Effect.Effect<typeof features>) => Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const root = yield* fs.makeTempDirectoryScoped({ prefix: "setup-" })
    const config = withRuntimes(
      { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } },
      { dataRoot: posix.join(root, "data") }
    )
    const probing = yield* Deferred.make<void>()
    let interrupted = false
    const probe = ScriptedFeatureProbe.layerFrom(() =>
      Effect.andThen(Deferred.succeed(probing, undefined), answer).pipe(
        Effect.onInterrupt(() => Effect.sync(() => interrupted = true))
      )
    )
    return { config, probing, probe, interrupted: () => interrupted }
  })

  it.effect("writes the scripts while the probes run, not after them", () =>
    Effect.gen(function*() {
      const { config, probe, probing } = yield* wrapperSetup(Effect.as(Effect.sleep("20 millis"), features))
      let probeRunningAtRename = false
      // The rename waits (at most 5 s) for a probe to be running: it never is if writing waits for probing.
      const fileSystem = fileSystemWith((real) => ({
        rename: (from, to) =>
          Deferred.await(probing).pipe(
            Effect.timeout("5 seconds"),
            Effect.match({ onSuccess: () => probeRunningAtRename = true, onFailure: () => {} }),
            Effect.andThen(real.rename(from, to))
          )
      }))
      const table = yield* setupRuntimes(config, { scripts: "keep" }).pipe(
        Effect.provide(Layer.mergeAll(probe, HostFacts.layerFixed(plainHost), fileSystem))
      )
      expect(probeRunningAtRename).toBe(true)
      expect(runtimeNamed(table, "crun")?.features).toEqual(features)
    }))

  it.effect("a script that cannot be written fails the setup and interrupts the probes in flight", () =>
    Effect.gen(function*() {
      const { config, interrupted, probe, probing } = yield* wrapperSetup(Effect.never)
      const fileSystem = fileSystemWith((real) => ({
        open: (path, options) =>
          path.endsWith(".tmp")
            ? Effect.andThen(Deferred.await(probing), Effect.fail(systemError("PermissionDenied", "open", path)))
            : real.open(path, options)
      }))
      const error = yield* Effect.flip(setupRuntimes(config, { scripts: "keep" }).pipe(
        Effect.provide(Layer.mergeAll(probe, HostFacts.layerFixed(plainHost), fileSystem))
      ))
      expect(error).toBeInstanceOf(WrapperWriteError)
      expect(interrupted()).toBe(true)
    }))
})
