import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import { argvKey } from "../../src/features/FeatureProbe.ts"
import * as ScriptedFeatureProbe from "../../src/features/ScriptedFeatureProbe.ts"
import * as HostFacts from "../../src/host/HostFacts.ts"
import { setupRuntimes } from "../../src/registry/Setup.ts"
import { plainHost, withRuntimes } from "./support.ts"

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
  const services = Layer.mergeAll(probe.layer, HostFacts.layerFixed(plainHost), FileSystem.layerNoop({}))
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
      expect(table.runtimes.get("youki")?.features).toEqual(features)
      expect(table.runtimes.get("crun")?.features).toBeUndefined()
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

  it.effect("probes every runtime without it", () => {
    const { probe, services } = scripted()
    return Effect.gen(function*() {
      yield* setupRuntimes(config)
      expect([["runc"], ["/usr/bin/crun"], ["/usr/bin/youki"]].map(probe.calls)).toEqual([1, 1, 1])
    }).pipe(Effect.provide(services))
  })
})
