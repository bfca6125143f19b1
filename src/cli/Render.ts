/**
 * What the commands print, as pure functions from results and failures to
 * text or JSON values: no effects, so every format can be unit tested and
 * stays the same for the same input (names and keys always come out in the
 * same order). A failure is printed as lines on standard error, one per
 * problem, and with `--json` as a document on standard output too.
 *
 * Text quotes and escapes anything taken from the configuration that could
 * hide in, or play tricks on, a terminal: control characters, invisible
 * format characters, spaces in a table cell.
 *
 * The JSON documents `serve` answers with too (`info`, `resolve`) are
 * `registry/TableJson`'s; JSON is written by `json/JsonWriter`.
 */
import { displayWidth } from "effect/cli/CliOutput"
import {
  type ConfigFileError,
  type ConfigSchemaError,
  type ConfigSyntaxError,
  type InvalidRuntimeConfig,
  type LocatedProblem,
  locatedProblems,
  locatedText
} from "../config/Errors.ts"
import { type ConfigWarning, configPath, type Problem } from "../config/Problem.ts"
import type { ContainerdError } from "../containerd/ContainerdError.ts"
import type { InvalidRootfs } from "../containerd/ContainerRun.ts"
import type { SpecError } from "../containerd/OciSpec.ts"
import type { TaskIoError } from "../containerd/TaskIo.ts"
import { summariseFeatures } from "../features/Features.ts"
import { shimBinaryName } from "../names/RuntimeName.ts"
import { type ShimOptions, toProtoJson } from "../options/ShimOptions.ts"
import type { RuntimePathLookupError } from "../registry/Preflight.ts"
import type { RuntimesNotSetUp } from "../registry/Registry.ts"
import type { CgroupDriver } from "../registry/RuntimePlan.ts"
import type { ResolvedRuntime, RuntimeTable, UnknownRuntime } from "../registry/RuntimeTable.ts"
import { type Resolution, type WarningJson, warningsJson } from "../registry/TableJson.ts"
import type { ScriptsDirectoryError, WrapperWriteError } from "../wrappers/ScriptStore.ts"
import type { ResultWriteError } from "./Output.ts"
import type { Style } from "./Style.ts"

/* Escaping ---------------------------------------------------------------- */

/** Control, format (bidi overrides, zero-width), unassigned and private-use characters, and line breaks. */
const unsafeChars = /[\p{C}\u2028\u2029]/gu
const needsQuotes = /[\s"'\\\p{C}\u2028\u2029]/u

/** `text` with every character a terminal would not show as itself written `\u{…}`. */
export const escapeText = (text: string): string =>
  text.replace(unsafeChars, (char) => `\\u{${char.codePointAt(0)!.toString(16).toUpperCase()}}`)

/**
 * One table cell or one value on a line: as it is when that is unambiguous,
 * else in double quotes with `\`, `"` and unsafe characters escaped.
 */
export const quoteWord = (text: string): string =>
  text !== "" && !needsQuotes.test(text) ? text : `"${escapeText(text.replace(/[\\"]/g, "\\$&"))}"`

/* Errors ------------------------------------------------------------------ */

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
export type ErrorLine = LocatedProblem

export interface ErrorJson {
  readonly error: {
    readonly _tag: string
    readonly message: string
    readonly problems?: ReadonlyArray<{ readonly path: string; readonly message: string }>
    /** The error's own fields: the file, line and column, the runtime name, the path… */
    readonly [field: string]: unknown
  }
}

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
    case "InvalidRuntimeConfig":
      return locatedProblems(error)
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

/* Messages ---------------------------------------------------------------- */

/** `locatedText`, escaped for a terminal. */
const located = (path: string, message: string) => escapeText(locatedText({ path, message }))

/** `warning: <path>: <message>`, one warning per line. */
export const warningLine = (warning: Pick<ConfigWarning, "path" | "message">, style: Style): string =>
  `${style.yellow("warning:")} ${located(warning.path, warning.message)}`

/** `problem: <path>: <message>`: what an export or import left out, one per line. */
export const problemLine = (problem: Pick<ConfigWarning, "path" | "message">, style: Style): string =>
  `${style.red("problem:")} ${located(problem.path, problem.message)}`

/** `error: <path>: <message>`, one problem per line. */
export const errorLine = (line: ErrorLine, style: Style): string =>
  `${style.red("error:")} ${located(line.path, line.message)}`

/**
 * A command-line error, whose message may go on with suggestions ("Did you
 * mean this?") on further lines: `error:` heads the first, the rest follow.
 */
export const usageErrorLines = (message: string, style: Style): Array<string> => {
  const [first = "", ...rest] = message.split("\n")
  return [errorLine({ path: "", message: first }, style), ...rest.map(escapeText)]
}

/**
 * A word read as short flags with a letter no flag has (`-dash`): most likely
 * a runtime name starting with `-`, so the lines after the errors say where
 * such a name goes.
 */
export const unknownShortFlagLines = (
  unknown: ReadonlyArray<{ readonly word: string; readonly after: string | undefined }>,
  style: Style
): Array<string> => [
  ...unknown.map(({ word }) => errorLine({ path: "", message: `unknown flag: ${word}` }, style)),
  ...unknown.slice(0, 1).map(({ after, word }) =>
    `A runtime name starting with '-' goes after '--' (oci-runtimes resolve -- ${quoteWord(word)}), ` +
    `a flag's value after '=' (${escapeText(after ?? "--runtime")}=${quoteWord(word)}).`
  )
]

/** An unexpected failure: one line, no stack trace. */
export const internalErrorLine = (description: string, style: Style): string =>
  `${style.red("internal error:")} ${escapeText(description)} (this is a bug in oci-runtimes)`

/** The usage line that follows a command-line error. */
export const usageHint = (commandPath: ReadonlyArray<string>): string =>
  `Run '${[...commandPath, "--help"].join(" ")}' for usage.`

/* resolve ----------------------------------------------------------------- */

const valueText = (value: unknown): string =>
  typeof value === "string" ? quoteWord(value) : escapeText(JSON.stringify(value) ?? String(value))

const optionsLines = (options: ShimOptions | undefined): Array<string> => {
  if (options === undefined) return ["none"]
  const { typeUrl, value } = toProtoJson(options)
  return [typeUrl, ...Object.entries(value).map(([key, field]) => `  ${key}: ${valueText(field)}`)]
}

/** Label, padded value, one per line; a multi-line value continues below its label. */
export const labelled = (rows: ReadonlyArray<readonly [string, ReadonlyArray<string>]>, style: Style): string => {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  return rows.flatMap(([label, [first = "", ...rest]]) => [
    `${style.bold(`${label}:`)}${" ".repeat(width - label.length - 1)}${first}`,
    ...rest
  ]).join("\n")
}

export const resolutionText = ({ choice, features }: Resolution, style: Style): string =>
  labelled([
    ["runtime", [quoteWord(choice.runtime)]],
    ["shim", [quoteWord(choice.shim)]],
    ["options", optionsLines(choice.options)],
    ["features", [features === undefined ? style.dim("unknown") : escapeText(summariseFeatures(features))]]
  ], style)

/* info -------------------------------------------------------------------- */

/**
 * The binary that does the work: for runtimes behind the runc shim, the OCI
 * runtime it runs (with the arguments a wrapper script adds); for a shim of
 * its own, the shim binary containerd starts — found on PATH by the naming
 * convention, or the `runtimeType` itself when that is a path.
 */
const binaryOf = (runtime: ResolvedRuntime): string => {
  switch (runtime.kind) {
    case "stock":
    case "path":
      return [runtime.config.path ?? "", ...(runtime.config.runtimeArgs ?? [])].map(quoteWord).join(" ")
    case "type":
      return quoteWord(runtime.shim.includes("/") ? runtime.shim : shimBinaryName(runtime.shim) ?? runtime.shim)
  }
}

const padEnd = (text: string, width: number) => text + " ".repeat(Math.max(0, width - displayWidth(text)))

/**
 * Columns sized to their widest cell; the last column is not padded, so no
 * line ends in spaces. Styling is applied after padding, as escape codes have
 * no width.
 */
export const renderTable = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<{ readonly text: string; readonly style?: (text: string) => string }>>,
  style: Style
): Array<string> => {
  // A fold, not `Math.max(...)`: spreading a huge table into a call overflows the stack.
  const widths = header.map((title, column) =>
    rows.reduce((widest, row) => Math.max(widest, displayWidth(row[column]?.text ?? "")), displayWidth(title))
  )
  const line = (cells: ReadonlyArray<{ readonly text: string; readonly style?: (text: string) => string }>) =>
    cells.map((cell, column) => {
      const text = column === cells.length - 1 ? cell.text : padEnd(cell.text, widths[column] ?? 0)
      return cell.style === undefined ? text : cell.style(text)
    }).join("   ")
  return [line(header.map((title) => ({ text: title, style: style.bold }))), ...rows.map(line)]
}

export const infoText = (table: RuntimeTable, style: Style): string => {
  const header = labelled([
    ["Default runtime", [quoteWord(table.defaultRuntime)]],
    ["Cgroup driver", [table.cgroupDriver]]
  ], style)
  const rows = table.runtimes.map((runtime) => [
    { text: quoteWord(runtime.name) },
    { text: runtime.kind },
    { text: quoteWord(runtime.shim) },
    { text: binaryOf(runtime) },
    runtime.features === undefined
      ? { text: "-", style: style.dim }
      : { text: escapeText(summariseFeatures(runtime.features)) }
  ])
  return [header, "", ...renderTable(["NAME", "KIND", "SHIM", "BINARY", "FEATURES"], rows, style)].join("\n")
}

/* validate ---------------------------------------------------------------- */

export interface Validation {
  /** The file read, or `undefined` when no daemon.json exists and dockerd's defaults apply. */
  readonly file: string | undefined
  readonly table: RuntimeTable
  readonly warnings: ReadonlyArray<ConfigWarning>
}

export interface ValidationJson {
  readonly valid: true
  readonly file: string | null
  readonly defaultRuntime: string
  readonly cgroupDriver: CgroupDriver
  readonly runtimes: ReadonlyArray<string>
  readonly warnings: ReadonlyArray<WarningJson>
}

export const validationJson = ({ file, table, warnings }: Validation): ValidationJson => ({
  valid: true,
  file: file ?? null,
  defaultRuntime: table.defaultRuntime,
  cgroupDriver: table.cgroupDriver,
  runtimes: table.runtimes.map((runtime) => runtime.name),
  warnings: warningsJson(warnings)
})

export const validationText = ({ file, table, warnings }: Validation, style: Style): string =>
  labelled([
    ["valid", [style.green(file === undefined ? "no configuration file; dockerd's defaults" : quoteWord(file))]],
    ["default runtime", [quoteWord(table.defaultRuntime)]],
    ["runtimes", [table.runtimes.map((runtime) => quoteWord(runtime.name)).join(", ")]],
    ...(warnings.length === 0 ? [] : [["warnings", [String(warnings.length)]] as const])
  ], style)
