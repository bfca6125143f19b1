/**
 * The runtime table in another runtime manager's configuration: handlers
 * assigned, the target's document and text, and the findings about what it
 * cannot express. Pure: the table and the binaries found on PATH in, the
 * file out (`ExportIo` gathers the inputs).
 */
import * as Result from "effect/Result"
import { stockRuntimeName } from "../names/RuntimeName.ts"
import type { RuncShimOptions } from "../options/ShimOptions.ts"
import type { PlannedRuntime } from "../registry/RuntimePlan.ts"
import type { RuntimeTable } from "../registry/RuntimeTable.ts"
import type { ExportError } from "./ExportError.ts"
import type { Finding } from "./Finding.ts"
import { assignHandlers, defaultHandler, exportedRuntimes, type HandledRuntime } from "./Handlers.ts"
import type { StockRunc } from "./Target.ts"
import { exportTarget, type ExportFormat } from "./Targets.ts"

export interface ExportOptions {
  /** `--handler NAME=HANDLER`: runtime name to handler. */
  readonly handlers: ReadonlyMap<string, string>
  /** Where a bare binary name is found on PATH, if it is (see `binariesToLocate`). */
  readonly locate: (binary: string) => string | undefined
}

export interface Exported {
  readonly format: ExportFormat
  readonly document: unknown
  /** The file to drop in. */
  readonly text: string
  readonly findings: ReadonlyArray<Finding>
  readonly runtimes: ReadonlyArray<HandledRuntime>
}

/** The node's runc settings, as the stock runtime has them (every plan and table has it). */
export const stockRunc = (table: { readonly runtimes: ReadonlyArray<PlannedRuntime> }): StockRunc => {
  const runc = table.runtimes.find((runtime) => runtime.kind === "stock" && runtime.name === stockRuntimeName)
  const value = (runc?.options as RuncShimOptions | undefined)?.value ?? {}
  return { root: value.root ?? "", systemdCgroup: value.systemdCgroup ?? false, noPivotRoot: value.noPivotRoot ?? false }
}

/** The bare binary names a format would look up on PATH, for the caller to locate first. */
export const binariesToLocate = (table: RuntimeTable, format: ExportFormat): ReadonlyArray<string> =>
  [...new Set(exportTarget(format).binariesToLocate(exportedRuntimes(table)))]

export const exportTable = (
  table: RuntimeTable,
  format: ExportFormat,
  options: ExportOptions
): Result.Result<Exported, ExportError> =>
  Result.map(assignHandlers(table, options.handlers), (runtimes) => {
    const target = exportTarget(format)
    const { document, findings } = target.translate({
      runtimes,
      defaultHandler: defaultHandler(table, runtimes),
      defaultRuntime: table.defaultRuntime,
      cgroupDriver: table.cgroupDriver,
      stock: stockRunc(table),
      locate: options.locate
    })
    return { format, document, text: target.render(document), findings, runtimes }
  })
