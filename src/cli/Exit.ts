/**
 * How each way of failing reaches the user: its exit code, its lines on
 * standard error, and its JSON form. Pure: `main` and the commands do the
 * printing.
 *
 * Exit codes follow the usual CLI convention: 1 when the input (the
 * configuration, the flags' values, the runtime asked for) is wrong, 2 when
 * the command line itself is (unknown flag, bad duration), 70 (EX_SOFTWARE)
 * for a bug.
 */
import type { ConfigFileError, ConfigSchemaError, ConfigSyntaxError } from "../config/Errors.ts"
import type { ResultWriteError } from "./Output.ts"
import { configPath, type Problem } from "../config/Problem.ts"
import type { ContainerdError } from "../containerd/ContainerdError.ts"
import type { InvalidRootfs } from "../containerd/ContainerRun.ts"
import type { SpecError } from "../containerd/OciSpec.ts"
import type { TaskIoError } from "../containerd/TaskIo.ts"
import type { RuntimePathLookupError } from "../registry/Preflight.ts"
import type { RuntimesNotSetUp } from "../registry/Registry.ts"
import type { InvalidRuntimeConfig } from "../config/Errors.ts"
import type { UnknownRuntime } from "../registry/RuntimeTable.ts"
import type { ScriptsDirectoryError, WrapperWriteError } from "../wrappers/ScriptStore.ts"

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  internal: 70
} as const
export type ExitCode = typeof ExitCode[keyof typeof ExitCode]

/** Every expected failure of a command; anything else is a bug. */
export type CommandError =
  | ConfigFileError
  | ConfigSyntaxError
  | ConfigSchemaError
  | InvalidRuntimeConfig
  | ScriptsDirectoryError
  | WrapperWriteError
  | UnknownRuntime
  | RuntimePathLookupError
  | ResultWriteError
  | RuntimesNotSetUp
  | ContainerdError
  | TaskIoError
  | SpecError
  | InvalidRootfs

/** One line of an error report: where, when known, and what. */
export interface ErrorLine {
  readonly path: string
  readonly message: string
}

export interface ErrorJson {
  readonly error: {
    readonly _tag: string
    readonly message: string
    readonly problems?: ReadonlyArray<{ readonly path: string; readonly message: string }>
    /** The error's own fields: the file, line and column, the runtime name, the path… */
    readonly [field: string]: unknown
  }
}

const fromProblems = (problems: ReadonlyArray<Problem>, prefix = ""): Array<ErrorLine> =>
  problems.map(({ message, path }) => ({ path: prefix !== "" && path !== "" ? `${prefix}: ${path}` : prefix || path, message }))

const problemsOf = (error: CommandError): ReadonlyArray<Problem> | undefined => {
  switch (error._tag) {
    case "ConfigSchemaError":
    case "InvalidRuntimeConfig":
      return error.problems
    default:
      return undefined
  }
}

/**
 * The lines to print, one per problem. A problem's path names the place in
 * daemon.json (prefixed with the file for type errors, which are found before
 * the flags apply) or the flag; errors about one runtime name it the same way.
 */
export const errorLines = (error: CommandError): ReadonlyArray<ErrorLine> => {
  switch (error._tag) {
    case "ConfigSchemaError":
      return fromProblems(error.problems, error.file)
    case "InvalidRuntimeConfig":
      return fromProblems(error.problems)
    case "RuntimePathLookupError":
      return [{ path: configPath(["runtimes", error.runtime]), message: error.message }]
    default:
      return [{ path: "", message: error.message }]
  }
}

/** The `--json` form of a failure, written to standard output next to the lines on standard error. */
export const errorJson = (error: CommandError): ErrorJson => {
  const problems = problemsOf(error)
  return {
    error: {
      ...error,
      _tag: error._tag,
      message: error.message,
      ...(problems === undefined ? {} : { problems: problems.map(({ message, path }) => ({ path, message })) })
    }
  }
}

/**
 * A command has reported its outcome and only the exit code remains; raised
 * as a failure so that nothing after it runs.
 */
export class CommandExit {
  readonly _tag = "CommandExit"
  /** One of `ExitCode`, or for `run` the container's own exit status. */
  readonly code: number
  constructor(code: number) {
    this.code = code
  }
}

export const isCommandExit = (u: unknown): u is CommandExit => u instanceof CommandExit

/** A defect as one line: the CLI never prints a stack trace. */
export const describeDefect = (defect: unknown): string => {
  let text: string
  try {
    text = defect instanceof Error ? `${defect.name}: ${defect.message}` : String(defect)
  } catch {
    text = Object.prototype.toString.call(defect)
  }
  return text.split("\n")[0] ?? ""
}
