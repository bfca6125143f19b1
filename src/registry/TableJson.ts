/**
 * The table's answers as JSON values: what `info --json` and `resolve --json`
 * print, and what `serve` answers for `GET /info` and `GET /runtimes/{name}`,
 * so that the CLI and the API can never disagree. Pure.
 */
import type { ConfigWarning } from "../config/Problem.ts"
import type { Features } from "../features/Features.ts"
import { byteOrdered, type OrderedMembers } from "../json/JsonWriter.ts"
import { toProtoJson } from "../options/ShimOptions.ts"
import { describeRuntimes, type RuntimeChoice, type RuntimesInfo, type RuntimeTable } from "./RuntimeTable.ts"

export interface WarningJson {
  readonly path: string
  readonly message: string
}

export const warningsJson = (warnings: ReadonlyArray<ConfigWarning>): ReadonlyArray<WarningJson> =>
  warnings.map(({ message, path }) => ({ path, message }))

export interface Resolution {
  readonly choice: RuntimeChoice
  /** The runtime's features; `undefined` for names passed through to containerd or unprobed runtimes. */
  readonly features: Features | undefined
  readonly warnings: ReadonlyArray<ConfigWarning>
}

export interface ResolutionJson {
  readonly runtime: string
  readonly shim: string
  readonly options: { readonly typeUrl: string; readonly value: Record<string, unknown> } | null
  readonly features: Features | null
  readonly warnings: ReadonlyArray<WarningJson>
}

/** `options.value` uses proto3 JSON field names, with fields at their default left out. */
export const resolutionJson = ({ choice, features, warnings }: Resolution): ResolutionJson => ({
  runtime: choice.runtime,
  shim: choice.shim,
  options: choice.options === undefined ? null : toProtoJson(choice.options),
  features: features ?? null,
  warnings: warningsJson(warnings)
})

/** The registry's `RuntimesInfo` as printed: `Runtimes` in byte order of the names. */
export interface InfoJson extends Omit<RuntimesInfo, "Runtimes"> {
  readonly Runtimes: OrderedMembers
}

/**
 * Docker's `GET /info` shape: `DefaultRuntime`, `CgroupDriver`, `Runtimes`.
 * `Runtimes` stays an object, as in Docker's API, with its keys in byte order
 * as dockerd writes them; only the printed form can hold that order, so the
 * library's `RuntimesInfo` keeps a plain record.
 */
export const infoJson = (table: RuntimeTable): InfoJson => {
  const info = describeRuntimes(table)
  return { ...info, Runtimes: byteOrdered(info.Runtimes) }
}
