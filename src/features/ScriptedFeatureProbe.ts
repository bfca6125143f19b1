/**
 * A `FeatureProbe` that answers from a script instead of running anything, for
 * testing code that probes runtimes (the registry, the CLI) without real
 * binaries, and for checking how often each runtime would have been run.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import {
  type Argv,
  argvKey,
  FeatureProbe,
  type FeatureProbeError,
  isFeatureProbeError,
  make as makeProbe,
  notFound
} from "./FeatureProbe.ts"
import type { Features } from "./Features.ts"

export interface ScriptedFeatureProbe {
  readonly layer: Layer.Layer<FeatureProbe>
  /** How many times `argv` has been probed so far; `probeAll` probes each distinct argv once. */
  readonly calls: (argv: Argv) => number
}

/**
 * Answers keyed by `argvKey(argv)`. An argv missing from the script fails as a
 * missing binary would, so forgetting an entry looks like a host without that
 * runtime rather than passing silently.
 */
export const make = (answers: ReadonlyMap<string, Features | FeatureProbeError>): ScriptedFeatureProbe => {
  const counts = new Map<string, number>()
  const probe = (argv: Argv): Effect.Effect<Features, FeatureProbeError> =>
    Effect.suspend(() => {
      const key = argvKey(argv)
      counts.set(key, (counts.get(key) ?? 0) + 1)
      const answer = answers.get(key)
      if (answer === undefined) return Effect.fail(notFound(argv))
      return isFeatureProbeError(answer) ? Effect.fail(answer) : Effect.succeed(answer)
    })
  return {
    layer: Layer.succeed(FeatureProbe)(makeProbe(probe)),
    calls: (argv) => counts.get(argvKey(argv)) ?? 0
  }
}
