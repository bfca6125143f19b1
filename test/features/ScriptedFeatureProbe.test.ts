import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { argvKey, FeatureProbe } from "../../src/features/FeatureProbe.ts"
import type { Features } from "../../src/features/Features.ts"
import { ProbeError } from "../../src/features/ProbeError.ts"
import * as ScriptedFeatureProbe from "../../src/features/ScriptedFeatureProbe.ts"

const runc = ["/usr/sbin/runc"]
const crun = ["/usr/bin/crun"]
const runcFeatures: Features = { ociVersionMin: "1.0.0", ociVersionMax: "1.1.0", hooks: ["prestart"] }
const crunFailure = new ProbeError({
  argv: crun,
  reason: { _tag: "Exit", exitCode: 1, stderr: "unknown command features" }
})

const script = () =>
  ScriptedFeatureProbe.make(
    new Map<string, Features | ProbeError>([[argvKey(runc), runcFeatures], [argvKey(crun), crunFailure]])
  )

describe("ScriptedFeatureProbe", () => {
  it.effect("answers a scripted argv with its features and counts the call", () => {
    const scripted = script()
    return Effect.gen(function*() {
      expect(yield* (yield* FeatureProbe).probe(runc)).toEqual(runcFeatures)
      expect(scripted.calls(runc)).toBe(1)
      expect(scripted.calls(crun)).toBe(0)
    }).pipe(Effect.provide(scripted.layer))
  })

  it.effect("fails a scripted argv with its scripted error", () => {
    const scripted = script()
    return Effect.gen(function*() {
      expect(yield* Effect.flip((yield* FeatureProbe).probe(crun))).toBe(crunFailure)
    }).pipe(Effect.provide(scripted.layer))
  })

  it.effect("treats a features document with a `_tag` key as features, not as an error", () => {
    const tagged: Features = { _tag: "ProbeError" }
    const scripted = ScriptedFeatureProbe.make(new Map([[argvKey(runc), tagged]]))
    return Effect.gen(function*() {
      expect(yield* (yield* FeatureProbe).probe(runc)).toBe(tagged)
    }).pipe(Effect.provide(scripted.layer))
  })

  it.effect("fails an unscripted argv as a missing binary", () => {
    const scripted = script()
    return Effect.gen(function*() {
      const error = yield* Effect.flip((yield* FeatureProbe).probe(["kata-runtime"]))
      expect(error.reason._tag).toBe("Spawn")
      expect(error.message).toBe(
        `Failed to run [kata-runtime features]: exec: "kata-runtime": executable file not found in $PATH`
      )
    }).pipe(Effect.provide(scripted.layer))
  })

  it.effect("probeAll through the scripted layer probes each distinct argv once", () => {
    const scripted = script()
    return Effect.gen(function*() {
      const { outcomes, probesRun } = yield* (yield* FeatureProbe).probeAll([runc, crun, runc, [...runc]])
      expect(outcomes.map((outcome) => outcome._tag)).toEqual(["Probed", "Failed"])
      expect(probesRun).toBe(2)
      expect(outcomes[1]?._tag === "Failed" && outcomes[1].error.message).toBe(
        `Failed to run [/usr/bin/crun features]: "unknown command features" (exit status 1)`
      )
      expect(scripted.calls(runc)).toBe(1)
      expect(scripted.calls(crun)).toBe(1)
    }).pipe(Effect.provide(scripted.layer))
  })
})
