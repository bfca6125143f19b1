/**
 * The answer to "which shim, with which options?" for every runtime name: a
 * runtime plan completed with what each runtime said about its features.
 *
 * A table is plain data, built once per setup and never changed, so a reader
 * holding one sees a consistent picture while a reload builds the next.
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { ConfigWarning } from "../config/Problem.ts"
import type { Features } from "../features/Features.ts"
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
  /** Every configured and stock runtime, in name order. */
  readonly runtimes: ReadonlyMap<string, ResolvedRuntime>
  /** What setup accepted but found suspicious, or could not learn (failed probes). */
  readonly warnings: ReadonlyArray<ConfigWarning>
}

/** Completes a plan with the features learned for each probed argv. */
export const completePlan = (
  plan: RuntimePlan,
  featuresFor: (argv: ReadonlyArray<string>) => Features | undefined,
  probeWarnings: ReadonlyArray<ConfigWarning>
): RuntimeTable => ({
  defaultRuntime: plan.defaultRuntime,
  cgroupDriver: plan.cgroupDriver,
  runtimes: new Map(plan.runtimes.map((runtime) => [runtime.name, {
    ...runtime,
    features: runtime.featuresArgv === undefined ? undefined : featuresFor(runtime.featuresArgv)
  }])),
  warnings: [...plan.warnings, ...probeWarnings]
})

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
  const configured = table.runtimes.get(runtime)
  if (configured !== undefined) {
    const { shim, options, preflightPath } = configured
    return Result.succeed({ runtime, shim, options, preflightPath })
  }
  return isPermissibleContainerdRuntimeName(runtime)
    ? Result.succeed({ runtime, shim: runtime, options: undefined, preflightPath: undefined })
    : Result.fail(new UnknownRuntime({ runtime }))
}

/** The features of a configured or stock runtime (`""`: the default one); unknown names have none. */
export const featuresOf = (table: RuntimeTable, name: string): Features | undefined =>
  table.runtimes.get(name === "" ? table.defaultRuntime : name)?.features

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
  Runtimes: Object.fromEntries([...table.runtimes.values()].map((runtime) => [runtime.name, describeRuntime(runtime)]))
})
