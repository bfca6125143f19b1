/**
 * The three commands as effects: each sets the runtimes up as dockerd would,
 * adds its own step, and prints through `Output` with the renderers in
 * `Render`. Expected failures are reported here, where `--json` is known, and
 * end the command with exit code 1.
 *
 * None of them deletes anything, and only `--write-wrappers` writes (never
 * for `validate`): scripts are added next to existing ones, as a daemon reload
 * does, never replaced.
 */
import * as Effect from "effect/Effect"
import { ConfigWarning, configPath } from "../config/Problem.ts"
import { PathLookup } from "../host/PathLookup.ts"
import { resolveRuntime } from "../registry/Preflight.ts"
import { featuresOf, type RuntimeTable } from "../registry/RuntimeTable.ts"
import { CommandExit, ExitCode } from "./ExitCode.ts"
import type { CliOptions } from "./Options.ts"
import { Output } from "./Output.ts"
import { setUp } from "./Pipeline.ts"
import {
  type CommandError,
  errorJson,
  errorLine,
  errorLines,
  infoText,
  resolutionText,
  validationJson,
  validationText,
  warningLine
} from "./Render.ts"
import { formatJson } from "../json/JsonWriter.ts"
import { infoJson, resolutionJson } from "../registry/TableJson.ts"

/** Prints a failure (lines on stderr; with `--json` its document on stdout too) and ends with exit code 1. */
export const reportFailure = (options: CliOptions) => (error: CommandError) =>
  Effect.gen(function*() {
    const output = yield* Output
    if (error._tag === "InvalidRuntimeConfig") yield* printWarnings(error.warnings)
    for (const line of errorLines(error)) yield* output.stderr(errorLine(line, output.stderrStyle))
    // Best effort: the run fails either way, and the lines above already said why.
    if (options.json) yield* Effect.ignore(output.stdout(formatJson(errorJson(error))))
    return yield* Effect.fail(new CommandExit(ExitCode.failure))
  })

export const printWarnings = (warnings: ReadonlyArray<ConfigWarning>) =>
  Effect.gen(function*() {
    const output = yield* Output
    for (const warning of warnings) yield* output.stderr(warningLine(warning, output.stderrStyle))
  })

/** `--write-wrappers` asks for scripts, written with reload semantics: missing ones added, none touched. */
const scriptsMode = (options: CliOptions) => options.writeWrappers ? "keep" as const : "none" as const

/**
 * A `path` runtime whose binary cannot be found sets up fine (dockerd checks
 * nothing at setup) but every container using it would fail to start; worth
 * a warning in a check.
 */
const missingBinaryWarnings = (table: RuntimeTable) =>
  Effect.gen(function*() {
    const lookup = yield* PathLookup
    const warnings: Array<ConfigWarning> = []
    for (const runtime of table.runtimes) {
      const binary = runtime.config.path
      if (runtime.kind !== "path" || binary === undefined) continue
      const missing = yield* lookup.lookPath(binary).pipe(
        Effect.match({ onSuccess: () => undefined, onFailure: (error) => error.reason })
      )
      if (missing !== undefined) {
        warnings.push(
          new ConfigWarning({
            path: configPath(["runtimes", runtime.name, "path"]),
            message: `containers using this runtime would fail to start: ${missing}`
          })
        )
      }
    }
    return warnings
  })

const ignoredWriteWrappers = new ConfigWarning({
  path: "--write-wrappers",
  message: "ignored: validate never writes anything"
})

/** Sets everything up without writing a byte and reports every problem and warning. */
export const validate = (options: CliOptions) =>
  Effect.gen(function*() {
    const output = yield* Output
    const setup = yield* setUp(options, "none")
    const warnings = [
      ...(options.writeWrappers ? [ignoredWriteWrappers] : []),
      ...setup.table.warnings,
      ...(yield* missingBinaryWarnings(setup.table))
    ]
    yield* printWarnings(warnings)
    const validation = { file: setup.file, table: setup.table, warnings }
    yield* output.stdout(
      options.json ? formatJson(validationJson(validation)) : validationText(validation, output.stdoutStyle)
    )
  }).pipe(Effect.catch(reportFailure(options)))

/** What `get` would hand containerd for `name` (`""`: the default runtime), pre-flight check included. */
export const resolve = (options: CliOptions, name: string) =>
  Effect.gen(function*() {
    const output = yield* Output
    // Only the runtime asked for is probed: another one's hung probe must not delay the answer.
    const setup = yield* setUp(options, scriptsMode(options), name)
    yield* printWarnings(setup.table.warnings)
    const choice = yield* resolveRuntime(setup.table, name)
    const resolution = { choice, features: featuresOf(setup.table, choice.runtime), warnings: setup.table.warnings }
    yield* output.stdout(
      options.json ? formatJson(resolutionJson(resolution)) : resolutionText(resolution, output.stdoutStyle)
    )
  }).pipe(Effect.catch(reportFailure(options)))

/** Every runtime as Docker's `GET /info` lists it, or as a table. */
export const info = (options: CliOptions) =>
  Effect.gen(function*() {
    const output = yield* Output
    const setup = yield* setUp(options, scriptsMode(options))
    yield* printWarnings(setup.table.warnings)
    yield* output.stdout(
      options.json ? formatJson(infoJson(setup.table)) : infoText(setup.table, output.stdoutStyle)
    )
  }).pipe(Effect.catch(reportFailure(options)))
