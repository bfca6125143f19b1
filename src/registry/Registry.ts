/**
 * The live runtime table of a running daemon: set up at boot, replaced on
 * reload, consulted for every container.
 *
 * Readers never wait for a reload and never see half of one: a setup builds a
 * complete new table aside and then swaps the reference in one step, so `get`
 * answers from the old table or the new one, never a mix. Setups themselves
 * run one at a time, so a boot cannot wipe the scripts directory under a
 * reload that is writing into it.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import type { Features } from "../features/Features.ts"
import { PathLookup } from "../host/PathLookup.ts"
import { resolveRuntime, type RuntimePathLookupError } from "./Preflight.ts"
import {
  describeRuntimes,
  featuresOf,
  type RuntimeChoice,
  type RuntimesInfo,
  type RuntimeTable,
  type UnknownRuntime
} from "./RuntimeTable.ts"
import { type SetupError, type SetupOptions, setupRuntimes, type SetupServices } from "./Setup.ts"

/**
 * There is no table: nothing has been set up yet, or the last boot failed
 * after wiping the scripts the previous table named (see `boot`).
 */
export class RuntimesNotSetUp extends Schema.TaggedError<RuntimesNotSetUp>()("RuntimesNotSetUp", {}) {
  override get message(): string {
    return "runtimes have not been set up yet: boot the registry first"
  }
}

export type GetError = UnknownRuntime | RuntimePathLookupError | RuntimesNotSetUp

export interface RuntimeRegistry {
  /**
   * First setup: wipes and recreates the wrapper scripts directory, then sets
   * up. A configuration that does not plan fails before anything is touched
   * and leaves any previous table in force; any other failure (the scripts
   * directory or a script cannot be written, or the boot is interrupted)
   * leaves the registry not set up, since the previous table's wrapper
   * scripts may be gone.
   */
  readonly boot: (config: DaemonConfig) => Effect.Effect<RuntimeTable, SetupError>
  /**
   * Later setups: existing scripts are left alone (running containers may use
   * them). On failure the previous table stays in force.
   */
  readonly reload: (config: DaemonConfig) => Effect.Effect<RuntimeTable, SetupError>
  /** The shim and options for a runtime name (`""`: the default), after its pre-flight check. */
  readonly get: (name: string) => Effect.Effect<RuntimeChoice, GetError>
  /**
   * A configured or stock runtime's features (`""`: the default); anything
   * else has none. Before the first successful `boot` every runtime's
   * features are unknown, so this answers `undefined` rather than failing
   * with `RuntimesNotSetUp` as `get`, `info` and `table` do: a caller asking
   * about features must handle "unknown" anyway (a probe may have failed),
   * and "not set up yet" is one more way of not knowing.
   */
  readonly features: (name: string) => Effect.Effect<Features | undefined>
  /** The current table, as Docker's `GET /info` lists it. */
  readonly info: Effect.Effect<RuntimesInfo, RuntimesNotSetUp>
  /** The current table itself. */
  readonly table: Effect.Effect<RuntimeTable, RuntimesNotSetUp>
}

export const RuntimeRegistry: Context.Service<RuntimeRegistry, RuntimeRegistry> = Context.Service<RuntimeRegistry>(
  "oci-runtimes/RuntimeRegistry"
)

/**
 * Whether a failed setup is known to have stopped before touching the scripts
 * directory: only a plan failure is. Any other failure — of the scripts
 * directory, of a script, or an interruption or defect, which may strike at
 * any point — may come after a boot wiped the directory.
 */
const failedBeforeWriting = (cause: Cause.Cause<SetupError>): boolean => {
  const error = Cause.findError(cause)
  return Result.isSuccess(error) && error.success._tag === "InvalidRuntimeConfig"
}

/** A registry with no table yet; `boot` sets the first one up. */
export const layer = (
  options: Omit<SetupOptions, "scripts"> = {}
): Layer.Layer<RuntimeRegistry, never, SetupServices | PathLookup> =>
  Layer.effect(RuntimeRegistry)(Effect.gen(function*() {
    const services = yield* Effect.context<SetupServices>()
    const lookup = yield* PathLookup
    const current = yield* Ref.make<RuntimeTable | undefined>(undefined)
    const setupLock = yield* Semaphore.make(1)

    const install = (config: DaemonConfig, scripts: SetupOptions["scripts"]) =>
      setupRuntimes(config, { ...options, scripts }).pipe(
        Effect.tap((table) => Ref.set(current, table)),
        Effect.onError((cause) => scripts === "reset" ? forgetAfterWipe(cause) : Effect.void),
        Effect.provide(services),
        setupLock.withPermit
      )

    /**
     * A boot wipes `<data-root>/runtimes` before writing the new scripts, so
     * once it gets that far the previous table's wrapper scripts are gone and
     * its `BinaryName`s would send containers to missing files. Failing every
     * `get` with `RuntimesNotSetUp` is better than answering with those.
     * (A reload never removes a script, so its failures keep the old table.)
     */
    const forgetAfterWipe = (cause: Cause.Cause<SetupError>) =>
      failedBeforeWriting(cause) ? Effect.void : Ref.set(current, undefined)

    const table = Effect.flatMap(
      Ref.get(current),
      (snapshot) => snapshot === undefined ? Effect.fail(new RuntimesNotSetUp()) : Effect.succeed(snapshot)
    )

    return {
      boot: (config) => install(config, "reset"),
      reload: (config) => install(config, "keep"),
      get: (name) =>
        Effect.flatMap(table, (snapshot) => resolveRuntime(snapshot, name)).pipe(
          Effect.provideService(PathLookup, lookup)
        ),
      features: (name) =>
        Effect.map(Ref.get(current), (snapshot) => snapshot === undefined ? undefined : featuresOf(snapshot, name)),
      info: Effect.map(table, describeRuntimes),
      table
    }
  }))

/** A registry booted with `config` as it is built; building fails as `boot` would. */
export const layerBooted = (
  config: DaemonConfig,
  options: Omit<SetupOptions, "scripts"> = {}
): Layer.Layer<RuntimeRegistry, SetupError, SetupServices | PathLookup> =>
  Layer.effectDiscard(Effect.flatMap(RuntimeRegistry, (registry) => registry.boot(config))).pipe(
    Layer.provideMerge(layer(options))
  )
