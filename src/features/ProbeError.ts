/**
 * Everything that can go wrong asking a runtime for its features, as one
 * error: which command was run and why it gave no features document — it
 * could not be started, it failed, it printed something else, it took too
 * long or printed too much, or the setup's overall deadline passed first.
 *
 * Messages keep dockerd's wording (`Failed to run [… features]: …`) so a
 * warning can be searched for, and quote the command in bounded form, since
 * an argument may be megabytes long.
 */
import * as Duration from "effect/Duration"
import * as Schema from "effect/Schema"
import { excerpt } from "../config/Problem.ts"

/** The command that, followed by `features`, describes a runtime: a binary and its leading arguments. */
export type Argv = ReadonlyArray<string>

/** The runtime could not be started: most often the binary is missing or not executable. */
export const SpawnReason = Schema.TaggedStruct("Spawn", {
  /** In Go's words (`fork/exec /x: permission denied`, `exec: "x": executable file not found in $PATH`). */
  detail: Schema.String
})

/** The runtime ran but did not exit with status 0; `features` is unknown to runtimes such as crun 1.8. */
export const ExitReason = Schema.TaggedStruct("Exit", {
  /** `null` when a signal ended the process. */
  exitCode: Schema.NullOr(Schema.Number),
  /** The signal that ended the process (`SIGKILL`), when one did and its name is known. */
  signal: Schema.optionalKey(Schema.String),
  /** Standard error, trimmed and cut to a bounded length. */
  stderr: Schema.String
})

/** The runtime exited with status 0 but did not print a features document. */
export const DecodeReason = Schema.TaggedStruct("Decode", {
  detail: Schema.String
})

/** The runtime did not finish within the per-probe timeout and was killed. */
export const TimeoutReason = Schema.TaggedStruct("Timeout", {
  timeoutMillis: Schema.Number
})

/** The runtime printed more than a features document could need and was killed. */
export const OutputTooLargeReason = Schema.TaggedStruct("OutputTooLarge", {
  limitBytes: Schema.Number
})

/**
 * The setup's overall deadline passed before this probe finished (it was
 * killed) or before it could start: however many runtimes hang, a setup's
 * probes end together within the deadline.
 */
export const DeadlineReason = Schema.TaggedStruct("Deadline", {
  deadlineMillis: Schema.Number
})

export const ProbeErrorReason = Schema.Union([
  SpawnReason,
  ExitReason,
  DecodeReason,
  TimeoutReason,
  OutputTooLargeReason,
  DeadlineReason
])
export type ProbeErrorReason = typeof ProbeErrorReason.Type

/** The command as messages show it, as Go's `%v` prints `exec.Cmd.Args`: each word bounded, at most 20 words. */
const commandLine = (argv: Argv): string => {
  const words = [...argv, "features"]
  const shown = words.length <= 20 ? words : [...words.slice(0, 19), `…(${words.length - 20} more words)`, "features"]
  return `[${shown.map((word) => excerpt(word)).join(" ")}]`
}

const exitStatus = (reason: typeof ExitReason.Type): string =>
  reason.exitCode !== null
    ? `exit status ${reason.exitCode}`
    : reason.signal === undefined
    ? "killed by a signal"
    : `signal: ${reason.signal}`

/** Why, in the words that follow `Failed to run [… features]: `. */
const why = (reason: ProbeErrorReason): string => {
  switch (reason._tag) {
    case "Spawn":
    case "Decode":
      return reason.detail
    case "Exit":
      return `${JSON.stringify(reason.stderr)} (${exitStatus(reason)})`
    case "Timeout":
      return `timed out after ${Duration.format(Duration.millis(reason.timeoutMillis))}`
    case "OutputTooLarge":
      return `output exceeds ${reason.limitBytes} bytes`
    case "Deadline":
      return `not finished by the setup's deadline of ${Duration.format(Duration.millis(reason.deadlineMillis))}`
  }
}

export class ProbeError extends Schema.TaggedError<ProbeError>()("ProbeError", {
  /** The probed argv, without the trailing `features`. */
  argv: Schema.Array(Schema.String),
  reason: ProbeErrorReason
}) {
  override get message(): string {
    return this.reason._tag === "Decode"
      ? `Failed to unmarshal the output of ${commandLine(this.argv)} as a JSON: ${this.reason.detail}`
      : `Failed to run ${commandLine(this.argv)}: ${why(this.reason)}`
  }
}

/** Tells a probe failure from a features document, which may itself carry any key, `_tag` included. */
export const isProbeError = (u: unknown): u is ProbeError => u instanceof ProbeError

export const spawnFailed = (argv: Argv, detail: string): ProbeError =>
  new ProbeError({ argv, reason: { _tag: "Spawn", detail } })

/** Go's wording for a binary that cannot be found, so the warning can be searched for. */
export const notFound = (argv: Argv): ProbeError => {
  const binary = argv[0] ?? ""
  return spawnFailed(
    argv,
    binary.includes("/")
      ? `fork/exec ${binary}: no such file or directory`
      : `exec: ${JSON.stringify(binary)}: executable file not found in $PATH`
  )
}
