/**
 * A `FeatureProbe` that answers from a script instead of running anything, for
 * testing code that probes runtimes (the registry, the CLI) without real
 * binaries, and for checking how often each runtime would have been run. It is
 * the real service (`FeatureProbe.make`) over a scripted backend, so
 * deduplication, concurrency, the deadline and the cache behave as they do on
 * a host.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type Argv, argvKey, FeatureProbe, make as makeProbe } from "./FeatureProbe.ts"
import type { Features } from "./Features.ts"
import { isProbeError, notFound, type ProbeError } from "./ProbeError.ts"
import type { ProbeRequest } from "./ProbeRunner.ts"

export interface ScriptedFeatureProbe {
  readonly layer: Layer.Layer<FeatureProbe>
  /** How many times `argv` has been run so far; `probeAll` runs each distinct argv at most once. */
  readonly calls: (argv: Argv) => number
}

export interface ScriptOptions {
  /**
   * The identity of the binary `argv[0]` names, as `FileIdentity` gives it.
   * Default: none, so nothing is cached and every setup runs every argv.
   */
  readonly identify?: ((program: string) => string | undefined) | undefined
}

/** A `FeatureProbe` layer running `run` for every probe that is not answered from the cache. */
export const layerFrom = (
  run: (request: ProbeRequest) => Effect.Effect<Features, ProbeError>,
  options: ScriptOptions = {}
): Layer.Layer<FeatureProbe> =>
  Layer.effect(FeatureProbe)(makeProbe({
    locate: (argv) =>
      Effect.sync(() => {
        const program = argv[0] ?? ""
        return { program, identity: options.identify?.(program) }
      }),
    run
  }))

/**
 * Answers keyed by `argvKey(argv)`. An argv missing from the script fails as a
 * missing binary would, so forgetting an entry looks like a host without that
 * runtime rather than passing silently.
 */
export const make = (
  answers: ReadonlyMap<string, Features | ProbeError>,
  options: ScriptOptions = {}
): ScriptedFeatureProbe => {
  const counts = new Map<string, number>()
  const run = ({ argv }: ProbeRequest): Effect.Effect<Features, ProbeError> =>
    Effect.suspend(() => {
      const key = argvKey(argv)
      counts.set(key, (counts.get(key) ?? 0) + 1)
      const answer = answers.get(key)
      if (answer === undefined) return Effect.fail(notFound(argv))
      return isProbeError(answer) ? Effect.fail(answer) : Effect.succeed(answer)
    })
  return {
    layer: layerFrom(run, options),
    calls: (argv) => counts.get(argvKey(argv)) ?? 0
  }
}
