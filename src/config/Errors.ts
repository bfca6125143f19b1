/**
 * What can go wrong while reading the runtime configuration: the file cannot
 * be read, is not JSON, has values of the wrong type, or the dockerd flags are
 * wrong or clash with the file. Each error's `message` is meant to be printed
 * as it is: a headline, then one line per problem.
 */
import * as Schema from "effect/Schema"
import { Problem } from "./Problem.ts"

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

/** dockerd flags that are malformed, or that set what the configuration file sets too. */
export class DaemonFlagsError extends Schema.TaggedError<DaemonFlagsError>()("DaemonFlagsError", {
  problems: Schema.Array(Problem)
}) {
  override get message(): string {
    return `invalid dockerd flags:${problemLines(this.problems)}`
  }
}
