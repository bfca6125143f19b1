/**
 * `export` and `import`: the runtime table as another runtime manager's
 * configuration, and back. `main` loads this module only when one of them
 * runs, so no other command pays for the translations and their TOML and
 * YAML libraries.
 *
 * Exit status: 0 when the document was printed, findings or not (they go
 * to stderr, or into the `--json` document); 1 when the configuration, a
 * handler or the imported file prevents it; 2 for a bad command line.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { ConfigWarning, Problem } from "../config/Problem.ts"
import type { Exported } from "../export/Export.ts"
import { ExportError, type ImportError } from "../export/ExportError.ts"
import { exportRuntimes, importRuntimes } from "../export/ExportIo.ts"
import type { Finding } from "../export/Finding.ts"
import type { ExportFormat, ImportFormat } from "../export/Formats.ts"
import type { ImportedDaemonJson } from "../export/Import.ts"
import { printWarnings, reportFailure } from "./Commands.ts"
import { CommandExit, ExitCode } from "./ExitCode.ts"
import type { CliOptions } from "./Options.ts"
import { Output } from "./Output.ts"
import { loadConfig } from "./Pipeline.ts"
import { byteOrdered, formatJson } from "../json/JsonWriter.ts"
import { warningsJson } from "../registry/TableJson.ts"
import { type CommandError, errorLine, problemLine, warningLine } from "./Render.ts"
import type { Style } from "./Style.ts"

export interface ExportFlags {
  readonly to: ExportFormat
  /** The `--handler NAME=HANDLER` flags, split and checked by the flag's parser. */
  readonly handler: ReadonlyArray<{ readonly name: string; readonly handler: string }>
}

export interface ImportFlags {
  readonly from: ImportFormat
  readonly file: string
}

/** The `--handler` flags as a map; a runtime given two handlers is refused. */
export const handlerMap = (
  flags: ExportFlags["handler"]
): Result.Result<ReadonlyMap<string, string>, ExportError> => {
  const handlers = new Map<string, string>()
  const twice: Array<Problem> = []
  for (const { handler, name } of flags) {
    const earlier = handlers.get(name)
    if (earlier !== undefined && earlier !== handler) {
      twice.push(new Problem({ path: "--handler", message: `runtime ${name} is given two handlers: ${earlier} and ${handler}` }))
    }
    handlers.set(name, handler)
  }
  return twice.length > 0 ? Result.fail(new ExportError({ reason: "SameHandler", problems: twice })) : Result.succeed(handlers)
}

/** `problem: PATH: MESSAGE` (left out) or `warning: PATH: MESSAGE` (differs), one per line. */
export const findingLine = (finding: Finding, style: Style): string =>
  finding.level === "warning" ? warningLine(finding, style) : problemLine(finding, style)

const printFindings = (findings: ReadonlyArray<Finding>) =>
  Effect.gen(function*() {
    const output = yield* Output
    for (const finding of findings) yield* output.stderr(findingLine(finding, output.stderrStyle))
  })

const findingsJson = (findings: ReadonlyArray<Finding>) =>
  findings.map(({ level, message, path }) => ({ level, path, message }))

/** The export as data; `warnings` are the configuration's own, as `resolve --json` gives them. */
const exportJson = (exported: Exported, warnings: ReadonlyArray<ConfigWarning>) => ({
  format: exported.format,
  document: exported.document,
  text: exported.text,
  handlers: byteOrdered(Object.fromEntries(exported.runtimes.map(({ handler, runtime }) => [runtime.name, handler]))),
  findings: findingsJson(exported.findings),
  warnings: warningsJson(warnings)
})

/** daemon.json as dockerd's own files list runtimes: in byte order. */
export const daemonJsonValue = (daemonJson: ImportedDaemonJson) => ({ ...daemonJson, runtimes: byteOrdered(daemonJson.runtimes) })

/** The export and import refusals, reported as every other command's failures are. */
const reportTranslationFailure = (options: CliOptions) => (error: CommandError | ExportError | ImportError) =>
  error._tag === "ExportError" || error._tag === "ImportError"
    ? Effect.gen(function*() {
      const output = yield* Output
      const lines = error._tag === "ImportError"
        ? error.problems.map(({ message, path }) => ({ path: `${error.file}: ${path}`, message }))
        : error.problems.map(({ message, path }) => ({ path, message }))
      for (const line of lines) yield* output.stderr(errorLine(line, output.stderrStyle))
      if (options.json) {
        yield* Effect.ignore(output.stdout(formatJson({ error: { _tag: error._tag, reason: error.reason, message: error.message, problems: lines } })))
      }
      return yield* Effect.fail(new CommandExit(ExitCode.failure))
    })
    : reportFailure(options)(error)

/** `export --to FORMAT`: the document on stdout (or, with `--json`, it and the findings as data). */
export const exportCommand = (options: CliOptions, flags: ExportFlags) =>
  Effect.gen(function*() {
    const output = yield* Output
    const handlers = yield* Effect.fromResult(handlerMap(flags.handler))
    const loaded = yield* loadConfig(options)
    const { exported, table } = yield* exportRuntimes(loaded.config, {
      format: flags.to,
      handlers,
      scripts: options.writeWrappers ? "keep" : "none",
      upstreamProblems: loaded.flagProblems
    })
    yield* printWarnings(table.warnings)
    yield* printFindings(exported.findings)
    yield* output.stdout(options.json ? formatJson(exportJson(exported, table.warnings)) : exported.text.trimEnd())
  }).pipe(Effect.catch(reportTranslationFailure(options)))

const ignoredWriteWrappers = new ConfigWarning({ path: "--write-wrappers", message: "ignored: import never writes anything" })

/** `import --from FORMAT FILE`: the daemon.json on stdout (or, with `--json`, it and the findings). */
export const importCommand = (options: CliOptions, flags: ImportFlags) =>
  Effect.gen(function*() {
    const output = yield* Output
    if (options.writeWrappers) yield* printWarnings([ignoredWriteWrappers])
    const loaded = yield* loadConfig(options)
    const imported = yield* importRuntimes(loaded.config, {
      format: flags.from,
      file: flags.file,
      upstreamProblems: loaded.flagProblems
    })
    yield* printFindings(imported.findings)
    const daemonJson = daemonJsonValue(imported.daemonJson)
    yield* output.stdout(formatJson(options.json ? { daemonJson, findings: findingsJson(imported.findings) } : daemonJson))
  }).pipe(Effect.catch(reportTranslationFailure(options)))

