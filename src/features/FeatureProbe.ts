/**
 * Asks OCI runtimes what they support, by running `<argv…> features` as
 * dockerd does for every runc-compatible runtime it sets up.
 *
 * Unlike dockerd, which waits for as long as the runtime takes and reads all it
 * prints, every probe here is bounded in time and in output, and the process
 * (with anything it started) is killed when either bound is hit: a broken
 * runtime on the host must not hang or exhaust the daemon's setup. A failed
 * probe is never fatal either: `probeAll` turns it into a warning, as dockerd
 * logs one and carries on without the runtime's features.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as PlatformError from "effect/PlatformError"
import * as ChildProcess from "effect/process/ChildProcess"
import { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { ConfigWarning } from "../config/Problem.ts"
import { decodeFeatures, type Features } from "./Features.ts"

/** The command that, followed by `features`, describes a runtime: a binary and its leading arguments. */
export type Argv = ReadonlyArray<string>

/** Identifies an argv as a whole, e.g. as a `Map` key; unambiguous even when arguments contain spaces. */
export const argvKey = (argv: Argv): string => JSON.stringify(argv)

/** The command line as Go's `%v` prints `exec.Cmd.Args`, so messages read like dockerd's. */
const commandLine = (argv: Argv): string => `[${[...argv, "features"].join(" ")}]`

const failedToRun = (argv: Argv, reason: string): string => `Failed to run ${commandLine(argv)}: ${reason}`

const probeFields = {
  /** The probed argv, without the trailing `features`. */
  argv: Schema.Array(Schema.String),
  reason: Schema.String
}

/** The runtime could not be started: most often the binary is missing or not executable. */
export class FeatureProbeSpawnError extends Schema.TaggedError<FeatureProbeSpawnError>()(
  "FeatureProbeSpawnError",
  probeFields
) {
  override get message(): string {
    return failedToRun(this.argv, this.reason)
  }
}

/** The runtime ran but did not exit with status 0; `features` is unknown to runtimes such as crun 1.8. */
export class FeatureProbeExitError extends Schema.TaggedError<FeatureProbeExitError>()(
  "FeatureProbeExitError",
  {
    ...probeFields,
    /** `null` when a signal ended the process. */
    exitCode: Schema.NullOr(Schema.Number),
    /** Standard error, trimmed and cut to a bounded length. */
    stderr: Schema.String
  }
) {
  override get message(): string {
    return failedToRun(this.argv, this.reason)
  }
}

/** The runtime exited with status 0 but did not print a features document. */
export class FeatureProbeDecodeError extends Schema.TaggedError<FeatureProbeDecodeError>()(
  "FeatureProbeDecodeError",
  probeFields
) {
  override get message(): string {
    return `Failed to unmarshal the output of ${commandLine(this.argv)} as a JSON: ${this.reason}`
  }
}

/** The runtime did not finish in time and was killed. */
export class FeatureProbeTimeout extends Schema.TaggedError<FeatureProbeTimeout>()(
  "FeatureProbeTimeout",
  { ...probeFields, timeoutMillis: Schema.Number }
) {
  override get message(): string {
    return failedToRun(this.argv, this.reason)
  }
}

/** The runtime printed more than a features document could need and was killed. */
export class FeatureProbeOutputTooLarge extends Schema.TaggedError<FeatureProbeOutputTooLarge>()(
  "FeatureProbeOutputTooLarge",
  { ...probeFields, limitBytes: Schema.Number }
) {
  override get message(): string {
    return failedToRun(this.argv, this.reason)
  }
}

export type FeatureProbeError =
  | FeatureProbeSpawnError
  | FeatureProbeExitError
  | FeatureProbeDecodeError
  | FeatureProbeTimeout
  | FeatureProbeOutputTooLarge

/** Tells a probe failure from a features document, which may itself carry any key, `_tag` included. */
export const isFeatureProbeError = (u: unknown): u is FeatureProbeError =>
  u instanceof FeatureProbeSpawnError ||
  u instanceof FeatureProbeExitError ||
  u instanceof FeatureProbeDecodeError ||
  u instanceof FeatureProbeTimeout ||
  u instanceof FeatureProbeOutputTooLarge

/** Go's wording for a binary that cannot be found, so the warning can be searched for. */
export const notFound = (argv: Argv): FeatureProbeSpawnError => {
  const binary = argv[0] ?? ""
  return new FeatureProbeSpawnError({
    argv,
    reason: binary.includes("/")
      ? `fork/exec ${binary}: no such file or directory`
      : `exec: ${JSON.stringify(binary)}: executable file not found in $PATH`
  })
}

export interface ProbeOptions {
  /** How long the runtime may take before it is killed. Default 10 seconds. */
  readonly timeout?: Duration.Input | undefined
  /** How much standard output is accepted before the runtime is killed. Default 1 MiB. */
  readonly maxOutputBytes?: number | undefined
}

export interface ProbeAllOptions extends ProbeOptions {
  /** How many runtimes run at once. Default 8. */
  readonly concurrency?: number | undefined
}

/** What `probeAll` learnt about one argv. */
export type ProbeOutcome =
  | { readonly _tag: "Probed"; readonly argv: Argv; readonly features: Features }
  | {
    readonly _tag: "Failed"
    readonly argv: Argv
    readonly error: FeatureProbeError
    /** `path` is the runtime binary, `argv[0]`: the probe does not know which runtime names share it. */
    readonly warning: ConfigWarning
  }

export interface FeatureProbe {
  /** Runs `<argv…> features` once and decodes what it prints. */
  readonly probe: (argv: Argv, options?: ProbeOptions) => Effect.Effect<Features, FeatureProbeError>
  /**
   * Probes every distinct argv (compared as a whole) once, at most
   * `concurrency` at a time, and reports one outcome per distinct argv, in the
   * order each first appears. Never fails: a failed probe is an outcome.
   */
  readonly probeAll: (
    argvs: Iterable<Argv>,
    options?: ProbeAllOptions
  ) => Effect.Effect<ReadonlyArray<ProbeOutcome>>
}

export const FeatureProbe: Context.Service<FeatureProbe, FeatureProbe> = Context.Service("oci-runtimes/FeatureProbe")

export const defaultTimeout: Duration.Duration = Duration.seconds(10)
export const defaultMaxOutputBytes = 1024 * 1024
export const defaultConcurrency = 8

/** Enough of standard error to explain a failure, without letting a runtime flood a log line. */
const maxStderrBytes = 4096

/**
 * Builds the service from a single-probe function; `probeAll` (deduplication,
 * bounded concurrency, failures as warnings) is the same for every
 * implementation, so a scripted probe exercises the real logic.
 */
export const make = (probe: FeatureProbe["probe"]): FeatureProbe => ({
  probe,
  probeAll: (argvs, options) => {
    const distinct = new Map<string, Argv>()
    for (const argv of argvs) {
      const key = argvKey(argv)
      if (!distinct.has(key)) distinct.set(key, argv)
    }
    return Effect.forEach(
      distinct.values(),
      (argv) =>
        Effect.match(probe(argv, options), {
          onSuccess: (features): ProbeOutcome => ({ _tag: "Probed", argv, features }),
          onFailure: (error): ProbeOutcome => ({
            _tag: "Failed",
            argv,
            error,
            warning: new ConfigWarning({ path: argv[0] ?? "", message: error.message })
          })
        }),
      { concurrency: options?.concurrency ?? defaultConcurrency }
    )
  }
})

/** The underlying Node error says what happened; the wrapper only names the method that failed. */
const describe = (error: PlatformError.PlatformError): string =>
  error.cause instanceof Error ? error.cause.message : error.message

const spawnFailure = (argv: Argv, error: PlatformError.PlatformError): FeatureProbeSpawnError => {
  if (error.reason._tag === "NotFound") return notFound(argv)
  if (error.reason._tag === "PermissionDenied") {
    return new FeatureProbeSpawnError({ argv, reason: `fork/exec ${argv[0]}: permission denied` })
  }
  return new FeatureProbeSpawnError({ argv, reason: error.message })
}

/**
 * Collects a stream as text, up to `limit` bytes. Past the limit it either
 * fails with `onOverflow`, or (without one) keeps reading but drops the rest,
 * so that a chatty child never blocks on a full pipe.
 */
const readText = <E>(
  stream: Stream.Stream<Uint8Array, PlatformError.PlatformError>,
  limit: number,
  onOverflow?: () => E
): Effect.Effect<{ readonly text: string; readonly truncated: boolean }, PlatformError.PlatformError | E> =>
  Effect.suspend(() => {
    const decoder = new TextDecoder()
    let text = ""
    let size = 0
    return Stream.runForEach(stream, (chunk) => {
      const room = limit - size
      size += chunk.length
      if (size > limit && onOverflow !== undefined) return Effect.fail(onOverflow())
      if (room > 0) text += decoder.decode(chunk.subarray(0, room), { stream: true })
      return Effect.void
    }).pipe(Effect.map(() => ({ text: text + decoder.decode(), truncated: size > limit })))
  })

/** The real probe, spawning through whatever `ChildProcessSpawner` is provided. */
export const layer: Layer.Layer<FeatureProbe, never, ChildProcessSpawner> = Layer.effect(
  FeatureProbe,
  Effect.gen(function*() {
    const spawner = yield* ChildProcessSpawner

    const run = (argv: Argv, program: string, maxOutputBytes: number) =>
      Effect.scoped(Effect.gen(function*() {
        const handle = yield* spawner.spawn(ChildProcess.make(program, [...argv.slice(1), "features"], {
          stdin: "ignore",
          // `runc features` holds no state worth a graceful stop, and with the
          // default SIGTERM the spawner waits without limit for a child that
          // ignores it, which would defeat the timeout.
          killSignal: "SIGKILL"
        })).pipe(Effect.mapError((error) => spawnFailure(argv, error)))

        const [stdout, stderr, exit] = yield* Effect.all([
          readText(handle.stdout, maxOutputBytes, () =>
            new FeatureProbeOutputTooLarge({
              argv,
              reason: `output exceeds ${maxOutputBytes} bytes`,
              limitBytes: maxOutputBytes
            })),
          readText(handle.stderr, maxStderrBytes),
          Effect.result(handle.exitCode)
        ], { concurrency: "unbounded" }).pipe(
          Effect.mapError((error) =>
            error._tag === "PlatformError" ? new FeatureProbeSpawnError({ argv, reason: error.message }) : error
          )
        )

        const code = Result.isSuccess(exit) ? exit.success : null
        if (code === 0) {
          return yield* Effect.fromResult(decodeFeatures(stdout.text)).pipe(
            Effect.mapError((invalid) => new FeatureProbeDecodeError({ argv, reason: invalid.reason }))
          )
        }
        const errorText = stderr.text.trim() + (stderr.truncated ? "…" : "")
        // The Node spawner reports a death by signal as a failed `exitCode`,
        // naming the signal in the underlying error.
        const status = Result.isFailure(exit) ? describe(exit.failure) : `exit status ${code}`
        return yield* new FeatureProbeExitError({
          argv,
          reason: `${JSON.stringify(errorText)} (${status})`,
          exitCode: code,
          stderr: errorText
        })
      }))

    return make((argv, options) => {
      const program = argv[0]
      if (program === undefined) {
        return Effect.fail(new FeatureProbeSpawnError({ argv, reason: "no runtime binary given" }))
      }
      const timeout = Duration.fromInputUnsafe(options?.timeout ?? defaultTimeout)
      // Interrupting the scoped run closes its scope, which kills the process
      // group and waits for it to go before the timeout is reported.
      return Effect.timeoutOrElse(run(argv, program, options?.maxOutputBytes ?? defaultMaxOutputBytes), {
        duration: timeout,
        orElse: () =>
          Effect.fail(
            new FeatureProbeTimeout({
              argv,
              reason: `timed out after ${Duration.format(timeout)}`,
              timeoutMillis: Duration.toMillis(timeout)
            })
          )
      })
    })
  })
)
