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
import * as Schema from "effect/Schema"
import { excerpt } from "../config/Problem.ts"
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process"
import { statSync } from "node:fs"
import { availableParallelism } from "node:os"
import { getSystemErrorMessage } from "node:util"
import { ConfigWarning } from "../config/Problem.ts"
import { searchDirectories } from "../host/PathLookup.ts"
import { decodeFeatures, type Features } from "./Features.ts"

/** The command that, followed by `features`, describes a runtime: a binary and its leading arguments. */
export type Argv = ReadonlyArray<string>

/** Identifies an argv as a whole, e.g. as a `Map` key; unambiguous even when arguments contain spaces. */
export const argvKey = (argv: Argv): string => JSON.stringify(argv)

/** The command line as Go's `%v` prints `exec.Cmd.Args`, so messages read like dockerd's. */
/** The command as messages show it, each word bounded (`excerpt`) and at most 20 words. */
const commandLine = (argv: Argv): string => {
  const words = [...argv, "features"]
  const shown = words.length <= 20 ? words : [...words.slice(0, 19), `…(${words.length - 20} more words)`, "features"]
  return `[${shown.map((word) => excerpt(word)).join(" ")}]`
}

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
  /** How many runtimes run at once. Default `defaultConcurrency`. */
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
/**
 * Twice the CPUs Node may use, from 2 up to 8: 4 on a 2-CPU host.
 *
 * A `runc features` is CPU-bound (about 4 ms of CPU, plus 1–2 ms of the main
 * thread for Node's synchronous `spawn`), so a few probes per CPU already keep
 * the host busy: over 101 runc probes on 2 CPUs, concurrency 2, 4, 8 and 16
 * all took within noise of the same time (about 300–350 ms). Twice the CPUs
 * leaves room for probes that wait (a cold page cache, a wrapper script); past
 * 8, more processes at once only add memory and scheduling pressure, since
 * the main thread's `spawn` bounds how fast probes can start anyway.
 */
export const defaultConcurrency: number = Math.min(8, Math.max(2, 2 * availableParallelism()))

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

/** Go's wording for a failed `fork/exec`, which is libuv's: "permission denied", "too many open files". */
const spawnError = (argv: Argv, error: unknown): FeatureProbeSpawnError => {
  const { code, errno, message } = error as NodeJS.ErrnoException
  if (code === "ENOENT") return notFound(argv)
  return new FeatureProbeSpawnError({
    argv,
    // Errors Node throws before forking (a NUL in an argument) carry no errno.
    reason: typeof errno === "number" ? `fork/exec ${argv[0]}: ${getSystemErrorMessage(errno)}` : message
  })
}

/** In a group of its own so that a kill reaches whatever the runtime started; nothing to read on stdin. */
const spawnOptions: SpawnOptions = { detached: true, stdio: ["ignore", "pipe", "pipe"] }

/** Whether the process group led by `pid` still has a member; zombies count until they are reaped. */
const groupExists = (pid: number): boolean => {
  try {
    process.kill(-pid, 0)
    return true
  } catch (error) {
    // EPERM: members exist but cannot be signalled (only zombies left, on some systems).
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Kills the process group with SIGKILL, which cannot be caught or ignored, or
 * the leader alone if it has left the group (or there are no groups: Windows);
 * `false` when there was nothing left to kill.
 */
const killGroup = (child: ChildProcess): boolean => {
  // No pid: the process never started (Node reports why in an `error` event).
  if (child.pid === undefined) return false
  try {
    process.kill(-child.pid!, "SIGKILL")
    return true
  } catch {
    return child.kill("SIGKILL")
  }
}

/** The longest delay `setTimeout` takes; it fires at once for anything longer. */
const maxTimerMillis = 2 ** 31 - 1

/** How long a killed group may take to disappear before the probe reports anyway. */
const killGraceMillis = 1000
const killPollMillis = 5

/**
 * Calls `onGone` once the killed leader has exited and no member of its group
 * is left, or after `killGraceMillis` at the latest: a process stuck in the
 * kernel cannot die sooner, and a zombie member lasts until its new parent
 * reaps it.
 */
const awaitGone = (child: ChildProcess, onGone: () => void): void => {
  const deadline = Date.now() + killGraceMillis
  let timer: ReturnType<typeof setTimeout> | undefined
  const check = () => {
    clearTimeout(timer)
    const leaderExited = child.exitCode !== null || child.signalCode !== null
    if ((leaderExited && !groupExists(child.pid!)) || Date.now() >= deadline) {
      child.off("exit", check)
      onGone()
      return
    }
    // Until the leader exits, its `exit` event says when to look again.
    timer = setTimeout(check, leaderExited ? killPollMillis : deadline - Date.now())
  }
  child.on("exit", check)
  check()
}

/**
 * One run of `<argv…> features`, straight on `node:child_process`: collects
 * standard output up to `maxOutputBytes` and standard error up to
 * `maxStderrBytes`, and kills the process group when the time or output bound
 * is hit or the fiber is interrupted, reporting only once the group is gone. A
 * run that ends by itself has its group killed too, in case the runtime left
 * something behind.
 *
 * The timeout is a plain timer rather than `Effect.timeout`, which forks two
 * fibers per probe and interrupts one: it bounds a real process, so it runs in
 * real time whatever `Clock` the fiber has.
 */
const run = (
  argv: Argv,
  program: string,
  timeout: Duration.Duration,
  maxOutputBytes: number
): Effect.Effect<Features, FeatureProbeError> =>
  Effect.callback<Features, FeatureProbeError>((resume) => {
    let child: ChildProcess
    try {
      child = spawn(program, [...argv.slice(1), "features"], spawnOptions)
    } catch (error) {
      resume(Effect.fail(spawnError(argv, error)))
      return
    }
    /** Running, then killing (with whoever waits for the group to go), then done. */
    let state: "running" | Array<() => void> | "done" = "running"
    const stdout: Array<Buffer> = []
    const stderr: Array<Buffer> = []
    let stdoutBytes = 0
    let stderrBytes = 0

    /** Kills the group, stops reading, and calls `then` once the group is gone. */
    const kill = (then: () => void) => {
      if (state === "done") return then()
      if (state !== "running") return void state.push(then)
      clearTimeout(timer)
      const waiters = [then]
      state = waiters
      const killed = killGroup(child)
      child.stdout!.destroy()
      child.stderr!.destroy()
      const gone = () => {
        state = "done"
        for (const waiter of waiters) waiter()
      }
      if (killed) awaitGone(child, gone)
      else gone()
    }
    const fail = (error: FeatureProbeError) => kill(() => resume(Effect.fail(error)))
    const timeoutMillis = Duration.toMillis(timeout)
    // Beyond what a timer can hold (an infinite duration among them) is no bound at all.
    const timer = timeoutMillis > maxTimerMillis ? undefined : setTimeout(() => {
      if (state !== "running") return
      fail(new FeatureProbeTimeout({ argv, reason: `timed out after ${Duration.format(timeout)}`, timeoutMillis }))
    }, timeoutMillis)

    child.on("error", (error) => {
      // Emitted, before anything else, when the process could not be started.
      if (state !== "running") return
      clearTimeout(timer)
      state = "done"
      resume(Effect.fail(spawnError(argv, error)))
    })
    const readError = (stream: string) => (error: Error) => {
      if (state === "running") fail(new FeatureProbeSpawnError({ argv, reason: `reading ${stream}: ${error.message}` }))
    }
    child.stdout!.on("error", readError("standard output"))
    child.stderr!.on("error", readError("standard error"))
    child.stdout!.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length
      if (stdoutBytes <= maxOutputBytes) stdout.push(chunk)
      else if (state === "running") {
        fail(
          new FeatureProbeOutputTooLarge({
            argv,
            reason: `output exceeds ${maxOutputBytes} bytes`,
            limitBytes: maxOutputBytes
          })
        )
      }
    })
    // Read to the end but keep only the start, so that a chatty child never blocks on a full pipe.
    child.stderr!.on("data", (chunk: Buffer) => {
      if (stderrBytes < maxStderrBytes) stderr.push(chunk.subarray(0, maxStderrBytes - stderrBytes))
      stderrBytes += chunk.length
    })
    // The leader has exited and both pipes are at their end.
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
      if (state !== "running") return
      let outcome: Effect.Effect<Features, FeatureProbeError>
      if (code === 0) {
        const decoded = decodeFeatures(Buffer.concat(stdout).toString("utf8"))
        outcome = decoded._tag === "Success"
          ? Effect.succeed(decoded.success)
          : Effect.fail(new FeatureProbeDecodeError({ argv, reason: decoded.failure.reason }))
      } else {
        const errorText = Buffer.concat(stderr).toString("utf8").trim() + (stderrBytes > maxStderrBytes ? "…" : "")
        const status = code === null ? `signal: ${signal}` : `exit status ${code}`
        outcome = Effect.fail(
          new FeatureProbeExitError({
            argv,
            reason: `${JSON.stringify(errorText)} (${status})`,
            exitCode: code,
            stderr: errorText
          })
        )
      }
      kill(() => resume(outcome))
    })

    // Interrupted: return only once the group is gone.
    return Effect.callback<void>((done) => kill(() => done(Effect.void)))
  })

const isExecutableFile = (path: string): boolean => {
  try {
    const info = statSync(path)
    return info.isFile() && (info.mode & 0o111) !== 0
  } catch {
    return false
  }
}

/**
 * The binary to run for a bare name, searched on PATH's absolute entries only
 * (as the pre-flight lookup does, and as Go refuses `ErrDot` results): Node's
 * own search would also try empty and relative entries, which would run a
 * `./runc` from whatever directory the daemon or the CLI was started in — as
 * root. A name with a `/` is run as it is.
 */
const resolveProgram = (program: string): string | undefined => {
  if (program.includes("/")) return program
  for (const dir of searchDirectories(process.env.PATH ?? "")) {
    const candidate = dir.endsWith("/") ? dir + program : `${dir}/${program}`
    if (isExecutableFile(candidate)) return candidate
  }
  return undefined
}

/**
 * The real probe, on `node:child_process` directly.
 *
 * Not on Effect's `ChildProcessSpawner`, for speed. Node's `spawn` blocks the
 * main thread until the child has exec'd, and with a few runtimes starting at
 * once on a busy CPU that wait grows: over 101 `runc features` 8 at a time on
 * 2 CPUs, plain Node spends about 90% of the wall time inside `spawn`, so the
 * main thread is the bottleneck and every bit of work it does per probe adds
 * to the total. Through the spawner a probe cost about 1 ms more of it
 * (`PassThrough`s piped into streams, several fibers, and a scope release that
 * signals the already empty process group and builds two errors even after a
 * clean exit), and `probeAll` took 20–30% longer than plain `execFile`; on
 * Node directly it is within about 5–10%.
 *
 * The guarantees are the spawner's: the runtime gets a process group of its
 * own (`detached`), killed with SIGKILL on timeout, output overflow,
 * interruption, and after a clean exit in case something was left behind; a
 * killed probe reports only once the group is gone, or after a 1 s grace.
 * Nothing is required: the layer no longer needs a `ChildProcessSpawner`.
 */
export const layer: Layer.Layer<FeatureProbe> = Layer.succeed(FeatureProbe)(
  make((argv, options) => {
    if (argv[0] === undefined) {
      return Effect.fail(new FeatureProbeSpawnError({ argv, reason: "no runtime binary given" }))
    }
    const program = resolveProgram(argv[0])
    if (program === undefined) return Effect.fail(notFound(argv))
    const timeout = Duration.fromInputUnsafe(options?.timeout ?? defaultTimeout)
    return run(argv, program, timeout, options?.maxOutputBytes ?? defaultMaxOutputBytes)
  })
)
