/**
 * The answer to "which shim, with which options?" for every runtime name: a
 * runtime plan completed with what each runtime said about its features.
 *
 * A table is plain data, built once per setup and never changed, so a reader
 * holding one sees a consistent picture while a reload builds the next. It
 * holds nothing `JSON.stringify` would lose (no maps, sets or classes), so a
 * table can be written out, sent elsewhere and read back as the same table.
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { ConfigWarning } from "../config/Problem.ts"
import type { Features } from "../features/Features.ts"
import { compareBytes } from "../names/ByteOrder.ts"
import { isPermissibleContainerdRuntimeName } from "../names/RuntimeName.ts"
import type { ShimOptions } from "../options/ShimOptions.ts"
import type { CgroupDriver, PlannedRuntime, RuntimePlan } from "./RuntimePlan.ts"

export interface ResolvedRuntime extends PlannedRuntime {
  /** What the runtime reported through `features`; `undefined` when unknown. */
  readonly features: Features | undefined
}

export interface RuntimeTable {
  readonly defaultRuntime: string
  readonly cgroupDriver: CgroupDriver
  /**
   * Every configured and stock runtime, sorted by name (Go's byte order,
   * `compareBytes`, as the plan sorts them), each name once. An array rather than a map so the
   * table survives JSON; look a name up with `runtimeNamed`.
   */
  readonly runtimes: ReadonlyArray<ResolvedRuntime>
  /** What setup accepted but found suspicious, or could not learn (failed probes). */
  readonly warnings: ReadonlyArray<ConfigWarning>
}

/**
 * Completes a plan with the features learned for each probed argv, and the
 * setup's own warnings (repaired scripts, failed probes) after the plan's.
 */
export const completePlan = (
  plan: RuntimePlan,
  featuresFor: (argv: ReadonlyArray<string>) => Features | undefined,
  setupWarnings: ReadonlyArray<ConfigWarning>
): RuntimeTable => ({
  defaultRuntime: plan.defaultRuntime,
  cgroupDriver: plan.cgroupDriver,
  // The plan's order is kept: it is already the name order `runtimeNamed` relies on.
  runtimes: plan.runtimes.map((runtime) => ({
    ...runtime,
    features: runtime.featuresArgv === undefined ? undefined : featuresFor(runtime.featuresArgv)
  })),
  warnings: [...plan.warnings, ...setupWarnings]
})

/**
 * The configured or stock runtime called `name`, if any.
 *
 * A binary search over the name-sorted `runtimes`: `get` runs for every
 * container and a table may hold thousands of runtimes, so a lookup costs
 * O(log n) rather than a scan, without keeping a map that JSON would drop.
 * Names compare as the plan sorts them, in byte order: JavaScript's `<`
 * disagrees with it for names above U+FFFF and would miss some of them.
 */
export const runtimeNamed = (table: RuntimeTable, name: string): ResolvedRuntime | undefined => {
  const { runtimes } = table
  let low = 0
  let high = runtimes.length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const candidate = runtimes[middle]!
    const order = compareBytes(candidate.name, name)
    if (order === 0) return candidate
    if (order < 0) low = middle + 1
    else high = middle - 1
  }
  return undefined
}

/** The name is neither configured nor one containerd may be handed as it is. */
export class UnknownRuntime extends Schema.TaggedError<UnknownRuntime>()("UnknownRuntime", {
  runtime: Schema.String
}) {
  override get message(): string {
    return `unknown or invalid runtime name: ${this.runtime}`
  }
}

/** What `get` hands to containerd, plus the check to make before doing so. */
export interface RuntimeChoice {
  /** The name resolved to: the default runtime's name when none was asked for. */
  readonly runtime: string
  readonly shim: string
  readonly options: ShimOptions | undefined
  /** A binary that must still resolve before this runtime is used. */
  readonly preflightPath: string | undefined
}

/**
 * Picks the runtime for a name. `""` means the default runtime. Configured
 * and stock names win, whatever they look like (an administrator may call a
 * runtime `my/custom.runtime.v1`); any other name goes to containerd verbatim
 * when containerd would read it as a runtime name rather than a binary path.
 */
export const chooseRuntime = (table: RuntimeTable, name: string): Result.Result<RuntimeChoice, UnknownRuntime> => {
  const runtime = name === "" ? table.defaultRuntime : name
  const configured = runtimeNamed(table, runtime)
  if (configured !== undefined) return Result.succeed(configuredChoice(runtime, configured))
  return isPermissibleContainerdRuntimeName(runtime)
    ? Result.succeed({ runtime, shim: runtime, options: undefined, preflightPath: undefined })
    : Result.fail(new UnknownRuntime({ runtime }))
}

const configuredChoice = (runtime: string, { options, preflightPath, shim }: ResolvedRuntime): RuntimeChoice => ({
  runtime,
  shim,
  options,
  preflightPath
})

/**
 * `chooseRuntime`'s answer for every configured and stock name, and for `""`
 * when the default is one of them, computed once per table: these are the
 * names `get` is asked for on every container start, so the registry answers
 * them without a search. Other names still go through `chooseRuntime`.
 */
export const configuredChoices = (table: RuntimeTable): ReadonlyMap<string, RuntimeChoice> => {
  const choices = new Map(table.runtimes.map((runtime) => [runtime.name, configuredChoice(runtime.name, runtime)]))
  const defaultChoice = choices.get(table.defaultRuntime)
  if (defaultChoice !== undefined) choices.set("", defaultChoice)
  return choices
}

/** The features of a configured or stock runtime (`""`: the default one); unknown names have none. */
export const featuresOf = (table: RuntimeTable, name: string): Features | undefined =>
  runtimeNamed(table, name === "" ? table.defaultRuntime : name)?.features

/** The key under which Docker's `GET /info` reports a runtime's features. */
export const featuresStatusKey = "org.opencontainers.runtime-spec.features"

export interface RuntimeInfo {
  readonly path?: string
  readonly runtimeArgs?: ReadonlyArray<string>
  readonly runtimeType?: string
  readonly options?: Readonly<Record<string, unknown>>
  /** Present only when the features are known; the value is the features document as JSON text. */
  readonly status?: Readonly<Record<string, string>>
}

export interface RuntimesInfo {
  readonly DefaultRuntime: string
  readonly CgroupDriver: CgroupDriver
  /**
   * An object, as Docker's API has it; JavaScript lists integer-like names
   * first, so whoever prints it in dockerd's byte order sorts the keys (the
   * CLI does, in `Render.infoJson`).
   */
  readonly Runtimes: Readonly<Record<string, RuntimeInfo>>
}

/**
 * One runtime as Docker lists it. Docker's fields are `omitempty`, so an empty
 * path, type, argument list or options object is left out rather than shown
 * as `""`, `[]` or `{}`; fields come in Docker's order.
 */
const describeRuntime = ({ config, features }: ResolvedRuntime): RuntimeInfo => ({
  ...(config.path ? { path: config.path } : {}),
  ...(config.runtimeArgs?.length ? { runtimeArgs: config.runtimeArgs } : {}),
  ...(config.runtimeType ? { runtimeType: config.runtimeType } : {}),
  ...(config.options && Object.keys(config.options).length > 0 ? { options: config.options } : {}),
  ...(features === undefined ? {} : { status: { [featuresStatusKey]: JSON.stringify(features) } })
})

/** The table as Docker's `GET /info` shows it in `Runtimes`, `DefaultRuntime` and `CgroupDriver`. */
export const describeRuntimes = (table: RuntimeTable): RuntimesInfo => ({
  DefaultRuntime: table.defaultRuntime,
  CgroupDriver: table.cgroupDriver,
  Runtimes: Object.fromEntries(table.runtimes.map((runtime) => [runtime.name, describeRuntime(runtime)]))
})
