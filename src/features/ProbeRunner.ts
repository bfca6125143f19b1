/**
 * Runs one `<argv…> features`, bounded in time and in output.
 *
 * Unlike dockerd, which waits for as long as the runtime takes and reads all
 * it prints, the run here is cut short — and the runtime, with anything it
 * started, killed — when the timeout passes, when standard output outgrows
 * what a features document could need, or when the fiber is interrupted: a
 * broken runtime on the host must not hang or exhaust the daemon's setup.
 *
 * Built on Effect's `ChildProcessSpawner`: the runtime gets a process group of
 * its own (`detached`), which is killed with SIGKILL (a probe has nothing to
 * clean up, so there is no SIGTERM first to wait on) as soon as the runtime
 * exits, in case it left something behind (a grandchild holding standard
 * output open would otherwise keep the probe waiting), and whenever the run is
 * cut short; the spawner waits for the group to be gone before the run
 * returns (within about `killGraceMillis` plus one second), re-killing
 * members that appeared in between.
 *
 * The bounds use the fiber's `Clock`: run probes with the live clock.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as PlatformError from "effect/PlatformError"
import * as ChildProcess from "effect/process/ChildProcess"
import { ChildProcessSpawner, type ChildProcessHandle } from "effect/process/ChildProcessSpawner"
import * as Stream from "effect/Stream"
import { getSystemErrorMessage } from "node:util"
import { describeSystemError } from "../host/SystemError.ts"
import { type Argv, notFound, ProbeError, spawnFailed } from "./ProbeError.ts"

/** One run: the configured argv (for messages) and the file its first word resolved to. */
export interface ProbeRequest {
  readonly argv: Argv
  /** The file to run for `argv[0]`. */
  readonly program: string
  readonly timeout: Duration.Duration
  readonly maxOutputBytes: number
}

export interface ProbeRunner {
  /** Runs `program argv[1…] features`; its standard output once it has exited with status 0. */
  readonly run: (request: ProbeRequest) => Effect.Effect<string, ProbeError>
}

export const ProbeRunner: Context.Service<ProbeRunner, ProbeRunner> = Context.Service<ProbeRunner>(
  "oci-runtimes/ProbeRunner"
)

/** Enough of standard error to explain a failure, without letting a runtime flood a log line. */
const maxStderrBytes = 4096

/**
 * How long the spawner waits for a killed group to disappear before killing
 * what is left (members forked in between) again, after which it waits up to
 * one more second. Zombies count as members until reaped, so where the
 * system's reaper is slow (some container inits) a kill takes that long.
 */
const killGraceMillis = 100

const killOptions: ChildProcess.KillOptions = { killSignal: "SIGKILL", forceKillAfter: Duration.millis(killGraceMillis) }

const commandOf = ({ argv, program }: ProbeRequest): ChildProcess.Command =>
  ChildProcess.make(program, [...argv.slice(1), "features"], {
    ...killOptions,
    detached: true,
    // Nothing to read on standard input.
    stdin: "ignore"
  })

/** Go's wording for a failed `fork/exec`, which is libuv's: "permission denied", "no such file or directory". */
const spawnError = (request: ProbeRequest) => (error: PlatformError.PlatformError): ProbeError => {
  if (error.reason._tag === "NotFound") return notFound(request.argv)
  // Refused before forking (a NUL in an argument): the spawner says which argument.
  if (error.reason._tag === "BadArgument") return spawnFailed(request.argv, error.reason.description ?? error.message)
  return spawnFailed(request.argv, `fork/exec ${request.program}: ${describeSystemError(error)}`)
}

const isSpawnException = (defect: unknown): defect is NodeJS.ErrnoException =>
  defect instanceof Error && (defect as NodeJS.ErrnoException).syscall === "spawn" &&
  typeof (defect as NodeJS.ErrnoException).errno === "number"

/**
 * Node's `spawn` throws, rather than reporting, a few errnos — E2BIG for an
 * argument over 128 KiB among them — and the spawner lets that escape as a
 * defect; an administrator's argv must not crash the setup, so it is a spawn
 * failure like any other.
 */
const spawnThrew = (request: ProbeRequest) => (defect: unknown): Effect.Effect<never, ProbeError> =>
  isSpawnException(defect)
    ? Effect.fail(spawnFailed(request.argv, `fork/exec ${request.program}: ${getSystemErrorMessage(defect.errno!)}`))
    : Effect.die(defect)

const readFailed = (request: ProbeRequest, stream: string) => (error: PlatformError.PlatformError): ProbeError =>
  spawnFailed(request.argv, `reading ${stream}: ${error.message}`)

/** Standard output as text, failing as soon as it passes `maxOutputBytes`. */
const readStdout = (request: ProbeRequest, stdout: ChildProcessHandle["stdout"]) =>
  Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let bytes = 0
    const tooLarge = new ProbeError({
      argv: request.argv,
      reason: { _tag: "OutputTooLarge", limitBytes: request.maxOutputBytes }
    })
    return Stream.runForEach(stdout, (chunk) => {
      bytes += chunk.length
      if (bytes > request.maxOutputBytes) return Effect.fail(tooLarge)
      chunks.push(chunk)
      return Effect.void
    }).pipe(
      Effect.mapError((error) => error instanceof ProbeError ? error : readFailed(request, "standard output")(error)),
      Effect.map(() => Buffer.concat(chunks).toString("utf8"))
    )
  })

/** The start of standard error, trimmed, marked `…` when cut; read to the end so the runtime never blocks on it. */
const readStderr = (request: ProbeRequest, stderr: ChildProcessHandle["stderr"]) =>
  Effect.suspend(() => {
    const kept: Array<Uint8Array> = []
    let bytes = 0
    return Stream.runForEach(stderr, (chunk) =>
      Effect.sync(() => {
        if (bytes < maxStderrBytes) kept.push(chunk.subarray(0, maxStderrBytes - bytes))
        bytes += chunk.length
      })).pipe(
        Effect.mapError(readFailed(request, "standard error")),
        Effect.map(() => Buffer.concat(kept).toString("utf8").trim() + (bytes > maxStderrBytes ? "…" : ""))
      )
  })

interface ExitStatus {
  readonly exitCode: number | null
  readonly signal?: string
}

/**
 * How the runtime ended. The spawner reports a death by signal as a failure
 * whose text names the signal (`…receipt of signal: 'SIGKILL'`); that is the
 * only place the name is given, so it is read from there, and left out if
 * the wording ever changes.
 */
const exitStatus = (handle: ChildProcessHandle): Effect.Effect<ExitStatus> =>
  handle.exitCode.pipe(
    Effect.map((exitCode): ExitStatus => ({ exitCode })),
    Effect.catch((error) => {
      const cause = error.reason.cause
      const signal = /'(SIG[A-Z0-9]+)'/.exec(cause instanceof Error ? cause.message : "")?.[1]
      return Effect.succeed<ExitStatus>(signal === undefined ? { exitCode: null } : { exitCode: null, signal })
    })
  )

const runOnce = (spawner: ChildProcessSpawner["Service"], request: ProbeRequest): Effect.Effect<string, ProbeError> =>
  Effect.scoped(Effect.gen(function*() {
    const handle = yield* spawner.spawn(commandOf(request)).pipe(
      Effect.mapError(spawnError(request)),
      Effect.catchDefect(spawnThrew(request))
    )
    // Kill the group as soon as the leader exits, so nothing it left behind
    // keeps the pipes open; closing the scope waits for the group to be gone.
    const exited = exitStatus(handle).pipe(Effect.tap(() => Effect.forkScoped(Effect.ignore(handle.kill(killOptions)))))
    const [stdout, stderr, status] = yield* Effect.all(
      [readStdout(request, handle.stdout), readStderr(request, handle.stderr), exited],
      { concurrency: "unbounded" }
    )
    if (status.exitCode === 0) return stdout
    return yield* new ProbeError({ argv: request.argv, reason: { _tag: "Exit", ...status, stderr } })
  }))

/** A run cut short at `timeout`; interrupting it kills the process group before it returns. */
const boundedInTime = (request: ProbeRequest, run: Effect.Effect<string, ProbeError>) =>
  Duration.isFinite(request.timeout)
    ? Effect.timeoutOrElse(run, {
      duration: request.timeout,
      orElse: () =>
        Effect.fail(
          new ProbeError({
            argv: request.argv,
            reason: { _tag: "Timeout", timeoutMillis: Duration.toMillis(request.timeout) }
          })
        )
    })
    : run

/** The real runner, on the platform's `ChildProcessSpawner`. */
export const layer: Layer.Layer<ProbeRunner, never, ChildProcessSpawner> = Layer.effect(ProbeRunner)(
  Effect.gen(function*() {
    const spawner = yield* ChildProcessSpawner
    return { run: (request) => boundedInTime(request, runOnce(spawner, request)) }
  })
)
