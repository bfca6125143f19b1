/**
 * What can go wrong with the runtime configuration: the file cannot be read,
 * is not JSON, has values of the wrong type, or the settings (the dockerd
 * flags included) cannot be set up. Each error's `message` is meant to be
 * printed as it is.
 */
import * as Schema from "effect/Schema"
import { ConfigWarning, Problem } from "./Problem.ts"

const problemLines = (problems: ReadonlyArray<Problem>): string =>
  problems.map((problem) => `\n  ${problem.path === "" ? "" : `${problem.path}: `}${problem.message}`).join("")

/** The configuration file is missing or cannot be read. */
export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `unable to read configuration file ${this.file}: ${this.reason}`
  }
}

/**
 * The configuration file is not JSON. `line` and `column` are 1-based, so the
 * message reads `file:line:column: …` like a compiler's and editors can jump
 * to it; `detail` is worded as Go's `encoding/json` words it.
 */
export class ConfigSyntaxError extends Schema.TaggedError<ConfigSyntaxError>()("ConfigSyntaxError", {
  file: Schema.String,
  line: Schema.Number,
  column: Schema.Number,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.file}:${this.line}:${this.column}: ${this.detail}`
  }
}

/**
 * The configuration file is JSON, but values have the wrong type (every one is
 * listed), or it holds a number dockerd cannot decode.
 */
export class ConfigSchemaError extends Schema.TaggedError<ConfigSchemaError>()("ConfigSchemaError", {
  file: Schema.String,
  problems: Schema.Array(Problem)
}) {
  override get message(): string {
    return `invalid configuration in ${this.file}:${problemLines(this.problems)}`
  }
}

/**
 * The configuration cannot be set up. Carries every problem found, in a
 * fixed order: those found upstream (the dockerd flags: bad `--add-runtime`
 * values, settings given both ways), data-root and exec-root, exec-opts, then
 * the reserved name, then each runtime by name, then the default runtime; the
 * message is one line per problem.
 *
 * A problem dockerd reports too — the reserved name, neither or both of
 * path and runtimeType, args with a runtimeType, options with a path, an
 * unknown default runtime, an unsupported cgroup driver — keeps dockerd's
 * wording, so when it is the only one the message is dockerd's error. Other
 * problems — a relative data or exec root, an exec-opt that does not parse, a
 * NUL in a path or argument, an option's key or value — are checks dockerd
 * does not make or words differently, so their messages are our own.
 */
export class InvalidRuntimeConfig extends Schema.TaggedError<InvalidRuntimeConfig>()("InvalidRuntimeConfig", {
  problems: Schema.Array(Problem),
  /** What was found suspicious on the way, so a report can show it alongside the problems; often none. */
  warnings: Schema.Array(ConfigWarning)
}) {
  override get message(): string {
    return this.problems.map((problem) => problem.message).join("\n")
  }
}

/** One problem of a report: where (a daemon.json path or a flag; `""` when nowhere in particular) and what. */
export interface LocatedProblem {
  readonly path: string
  readonly message: string
}

/** `<path>: <message>`, or the message alone when the problem is nowhere in particular. */
export const locatedText = ({ message, path }: LocatedProblem): string => path === "" ? message : `${path}: ${message}`

/**
 * An error's problems, one each, for reports that give every problem a line
 * of its own (the CLI's, a reload's log). Type errors are found before the
 * flags apply, so their paths are prefixed with the file; an error without
 * problems is one line without a path.
 */
export const locatedProblems = (
  error: ConfigFileError | ConfigSyntaxError | ConfigSchemaError | InvalidRuntimeConfig
): ReadonlyArray<LocatedProblem> => {
  switch (error._tag) {
    case "ConfigSchemaError":
      return error.problems.map(({ message, path }) => ({ path: path === "" ? error.file : `${error.file}: ${path}`, message }))
    case "InvalidRuntimeConfig":
      return error.problems.map(({ message, path }) => ({ path, message }))
    default:
      return [{ path: "", message: error.message }]
  }
}
