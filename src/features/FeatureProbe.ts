/**
 * Asks OCI runtimes what they support, by running `<argv…> features` as
 * dockerd does for every runc-compatible runtime it sets up — but each
 * distinct argv once, a few at a time, within an overall deadline, and not
 * again while its binary is unchanged.
 *
 * The service decides what to run (`probeAll`: resolve, cache, deduplicate,
 * bound the concurrency and the total time); a `ProbeRunner` runs one probe.
 * A failed probe is never fatal: it is an outcome carrying its `ProbeError`,
 * which `Setup` turns into a warning at the runtimes concerned, as dockerd
 * logs one and carries on without the runtime's features.
 *
 * The features cache lives in the service instance, so a registry's boot and
 * reloads share it. It is keyed by the argv as a whole and by the identity of
 * the file `argv[0]` resolves to at the time (`FileIdentity`: device, inode,
 * size, mtime, ctime): an unchanged runtime is not run again, while a
 * replaced, touched or newly installed binary, or a PATH that now finds
 * another one, is. Binaries are not shared across different `argv[0]`s, since
 * a multi-call binary behaves by its name (crun installed as `krun`).
 *
 * What is cached is the runtime's own answer: features, or a failure it
 * reported by exiting with a status or by printing something that is not a
 * features document — the same binary would answer the same again. Failures
 * that say nothing about the binary are tried again next time: it could not
 * be started (a missing binary may be installed later, and has no identity to
 * key on anyway), it was killed by a signal, it timed out, printed without end
 * or was cut off by the deadline (a loaded host, a runtime waiting on
 * something).
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { availableParallelism } from "node:os"
import { FileIdentity, layer as fileIdentityLayer } from "../host/FileIdentity.ts"
import { layer as pathLookupLayer, PathLookup } from "../host/PathLookup.ts"
import { decodeFeatures, type Features } from "./Features.ts"
import { type Argv, ProbeError, spawnFailed } from "./ProbeError.ts"
import { layer as runnerLayer, type ProbeRequest, ProbeRunner } from "./ProbeRunner.ts"

export type { Argv } from "./ProbeError.ts"

/** Identifies an argv as a whole, e.g. as a `Map` key; unambiguous even when arguments contain spaces. */
export const argvKey = (argv: Argv): string => JSON.stringify(argv)

export interface ProbeOptions {
  /** How long one runtime may take before it is killed. Default 10 seconds. */
  readonly timeout?: Duration.Input | undefined
  /** How much standard output is accepted before the runtime is killed. Default 1 MiB. */
  readonly maxOutputBytes?: number | undefined
}

export interface ProbeAllOptions extends ProbeOptions {
  /** How many runtimes run at once. Default `defaultConcurrency`. */
  readonly concurrency?: number | undefined
  /**
   * How long all the probes of one `probeAll` may take together; those not
   * finished by then are killed (or never started) and fail with reason
   * `Deadline`. Default twice the timeout.
   */
  readonly deadline?: Duration.Input | undefined
}

/** What `probeAll` learnt about one argv. */
export type ProbeOutcome =
  | { readonly _tag: "Probed"; readonly argv: Argv; readonly features: Features }
  | { readonly _tag: "Failed"; readonly argv: Argv; readonly error: ProbeError }

export interface ProbeAllResult {
  /** One per distinct argv, in the order each first appears. */
  readonly outcomes: ReadonlyArray<ProbeOutcome>
  /** How many runtimes were actually run; the others were answered from the cache. */
  readonly probesRun: number
}

export interface FeatureProbe {
  /** The features of one argv, from the cache or by running it: `probeAll` of one. */
  readonly probe: (argv: Argv, options?: ProbeOptions) => Effect.Effect<Features, ProbeError>
  /**
   * Probes every distinct argv (compared as a whole) at most once, at most
   * `concurrency` at a time, within the deadline. Never fails: a failed probe
   * is an outcome.
   */
  readonly probeAll: (argvs: Iterable<Argv>, options?: ProbeAllOptions) => Effect.Effect<ProbeAllResult>
}

export const FeatureProbe: Context.Service<FeatureProbe, FeatureProbe> = Context.Service("oci-runtimes/FeatureProbe")

export const defaultTimeout: Duration.Duration = Duration.seconds(10)
export const defaultMaxOutputBytes = 1024 * 1024
/**
 * Twice the CPUs Node may use, from 2 up to 8: 4 on a 2-CPU host.
 *
 * A `runc features` is CPU-bound (a few ms of CPU, plus the main thread's
 * synchronous `spawn`), so a few probes per CPU already keep the host busy:
 * over 101 runc probes on 2 CPUs, concurrency 2 to 16 all took within noise of
 * the same time. Twice the CPUs leaves room for probes that wait (a cold page
 * cache, a wrapper script); past 8, more processes at once only add memory
 * and scheduling pressure.
 */
export const defaultConcurrency: number = Math.min(8, Math.max(2, 2 * availableParallelism()))

/** The file `argv[0]` names now, and its identity (`undefined`: none, so nothing about it is cached). */
export interface Located {
  readonly program: string
  readonly identity: string | undefined
}

/** What the service needs from the host: finding a binary, and running one probe of it. */
export interface ProbeBackend {
  /** Where `argv[0]` is; fails (reason `Spawn`) when it cannot be found. */
  readonly locate: (argv: Argv) => Effect.Effect<Located, ProbeError>
  readonly run: (request: ProbeRequest) => Effect.Effect<Features, ProbeError>
}

/** A bound on the cache, far above any real configuration, so years of reloads cannot grow it without end. */
const maxCacheEntries = 10_000

interface CacheEntry {
  /** The program and its identity when the answer was given. */
  readonly binary: string
  readonly answer: Result.Result<Features, ProbeError>
}

const binaryKey = (located: Located): string => `${located.program}\0${located.identity}`

/** The runtime's own answer, which the same binary would give again (see the module comment). */
const isCacheable = (answer: Result.Result<Features, ProbeError>): boolean => {
  if (Result.isSuccess(answer)) return true
  const reason = answer.failure.reason
  return reason._tag === "Decode" || (reason._tag === "Exit" && reason.exitCode !== null)
}

const outcomeOf = (argv: Argv, answer: Result.Result<Features, ProbeError>): ProbeOutcome =>
  Result.isSuccess(answer)
    ? { _tag: "Probed", argv, features: answer.success }
    : { _tag: "Failed", argv, error: answer.failure }

/** The distinct argvs, in first-seen order. */
const distinctArgvs = (argvs: Iterable<Argv>): ReadonlyArray<Argv> => {
  const distinct = new Map<string, Argv>()
  for (const argv of argvs) {
    const key = argvKey(argv)
    if (!distinct.has(key)) distinct.set(key, argv)
  }
  return [...distinct.values()]
}

/**
 * Where each distinct `argv[0]` is, looked up once per `probeAll` however
 * many argvs share it; a failure is re-addressed to each argv that shares it.
 */
const locateAll = (backend: ProbeBackend, argvs: ReadonlyArray<Argv>, concurrency: number) =>
  Effect.gen(function*() {
    const firstOf = new Map<string, Argv>()
    for (const argv of argvs) if (argv[0] !== undefined && !firstOf.has(argv[0])) firstOf.set(argv[0], argv)
    const located = new Map<string, Result.Result<Located, ProbeError>>()
    yield* Effect.forEach(
      firstOf,
      ([program, argv]) => Effect.map(Effect.result(backend.locate(argv)), (result) => located.set(program, result)),
      { concurrency, discard: true }
    )
    return (argv: Argv): Result.Result<Located, ProbeError> => {
      const result = argv[0] === undefined ? undefined : located.get(argv[0])
      if (result === undefined) return Result.fail(spawnFailed(argv, "no runtime binary given"))
      return Result.mapError(result, (error) => new ProbeError({ argv, reason: error.reason }))
    }
  })

/** Builds the service over a backend; the cache, deduplication, concurrency and deadline are the same for every backend. */
export const make = (backend: ProbeBackend): Effect.Effect<FeatureProbe> =>
  Effect.sync(() => {
    const cache = new Map<string, CacheEntry>()

    /** Keeps the answer for `binary`, replacing any older one; `undefined`: a binary without identity. */
    const remember = (key: string, binary: string | undefined, answer: Result.Result<Features, ProbeError>) => {
      cache.delete(key)
      if (binary === undefined || !isCacheable(answer)) return
      cache.set(key, { binary, answer })
      if (cache.size > maxCacheEntries) cache.delete(cache.keys().next().value!)
    }

    const probeAll: FeatureProbe["probeAll"] = (argvs, options) =>
      Effect.gen(function*() {
        const timeout = Duration.fromInputUnsafe(options?.timeout ?? defaultTimeout)
        const deadline = Duration.fromInputUnsafe(options?.deadline ?? Duration.times(timeout, 2))
        const concurrency = options?.concurrency ?? defaultConcurrency
        const maxOutputBytes = options?.maxOutputBytes ?? defaultMaxOutputBytes
        const endsAt = (yield* Clock.currentTimeMillis) + Duration.toMillis(deadline)
        const distinct = distinctArgvs(argvs)
        const locatedFor = yield* locateAll(backend, distinct, concurrency)
        let probesRun = 0

        const timedOut = (argv: Argv, after: Duration.Duration) =>
          new ProbeError({ argv, reason: { _tag: "Timeout", timeoutMillis: Duration.toMillis(after) } })
        const pastDeadline = (argv: Argv) =>
          new ProbeError({ argv, reason: { _tag: "Deadline", deadlineMillis: Duration.toMillis(deadline) } })

        /**
         * One run, not started once the deadline has passed. A run that would
         * outlast the deadline gets only the time left as its timeout, and its
         * timeout is reported as the deadline. A timer at the deadline backs
         * the runner up; when it fires on a run whose own timeout had already
         * expired (its runtime still being killed), that run timed out.
         */
        const runWithinDeadline = (request: ProbeRequest) =>
          Effect.gen(function*() {
            const left = endsAt - (yield* Clock.currentTimeMillis)
            if (left <= 0) return yield* pastDeadline(request.argv)
            probesRun++
            if (!Number.isFinite(left)) return yield* backend.run(request)
            const ownTimeoutFirst = Duration.toMillis(request.timeout) <= left
            const cutOff = () =>
              ownTimeoutFirst ? timedOut(request.argv, request.timeout) : pastDeadline(request.argv)
            const run = ownTimeoutFirst ? backend.run(request) : backend.run({ ...request, timeout: Duration.millis(left) })
            return yield* Effect.timeoutOrElse(run, {
              duration: Duration.millis(left),
              orElse: () => Effect.fail(cutOff())
            }).pipe(
              Effect.mapError((error) => !ownTimeoutFirst && error.reason._tag === "Timeout" ? pastDeadline(request.argv) : error)
            )
          })

        const answer = (argv: Argv) =>
          Effect.gen(function*() {
            const located = locatedFor(argv)
            if (Result.isFailure(located)) return located
            const key = argvKey(argv)
            const binary = located.success.identity === undefined ? undefined : binaryKey(located.success)
            const cached = cache.get(key)
            if (cached !== undefined && cached.binary === binary) return cached.answer
            const request = { argv, program: located.success.program, timeout, maxOutputBytes }
            const result = yield* Effect.result(runWithinDeadline(request))
            remember(key, binary, result)
            return result
          })

        const outcomes = yield* Effect.forEach(
          distinct,
          (argv) => Effect.map(answer(argv), (result) => outcomeOf(argv, result)),
          { concurrency }
        )
        return { outcomes, probesRun }
      })

    return {
      probe: (argv, options) =>
        Effect.flatMap(probeAll([argv], options), ({ outcomes }) => {
          const outcome = outcomes[0]!
          return outcome._tag === "Probed" ? Effect.succeed(outcome.features) : Effect.fail(outcome.error)
        }),
      probeAll
    }
  })

/** A features document from a runtime's standard output, or why it is not one. */
const decodeOutput = (argv: Argv) => (stdout: string): Effect.Effect<Features, ProbeError> => {
  const decoded = decodeFeatures(stdout)
  return Result.isSuccess(decoded)
    ? Effect.succeed(decoded.success)
    : Effect.fail(new ProbeError({ argv, reason: { _tag: "Decode", detail: decoded.failure.reason } }))
}

/**
 * `argv[0]` as the probe will run it, looked up when the probe runs (not when
 * the effect is built): a name with a `/` as it is, a bare name through
 * `PathLookup` — the one PATH search, which skips empty and relative entries
 * so that no `./runc` from the working directory is ever run as root.
 */
const locateOnHost = (lookup: PathLookup, files: FileIdentity) => (argv: Argv): Effect.Effect<Located, ProbeError> => {
  const file = argv[0] ?? ""
  const program = file.includes("/")
    ? Effect.succeed(file)
    : Effect.mapError(lookup.lookPath(file), (error) => spawnFailed(argv, error.reason))
  return Effect.flatMap(program, (path) => Effect.map(files.identify(path), (identity) => ({ program: path, identity })))
}

/** The service over the services it uses, for swapping one of them (a fake runner, fixed identities). */
export const layerFromServices: Layer.Layer<FeatureProbe, never, ProbeRunner | PathLookup | FileIdentity> = Layer
  .effect(FeatureProbe)(
    Effect.gen(function*() {
      const runner = yield* ProbeRunner
      return yield* make({
        locate: locateOnHost(yield* PathLookup, yield* FileIdentity),
        run: (request) => Effect.flatMap(runner.run(request), decodeOutput(request.argv))
      })
    })
  )

/**
 * The real probe: runtimes run through the platform's `ChildProcessSpawner`,
 * found on PATH (from the `ConfigProvider`) and identified by `stat`.
 */
export const layer = layerFromServices.pipe(
  Layer.provide(Layer.mergeAll(runnerLayer, fileIdentityLayer, pathLookupLayer))
)
