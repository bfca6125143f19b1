/**
 * The live runtime table of a running daemon: set up at boot, replaced on
 * reload, consulted for every container.
 *
 * Readers never wait for a setup and never see half of one: a setup builds a
 * complete new table aside and then swaps the reference in one step, so `get`
 * answers from the old table or the new one, never a mix. Setups themselves
 * run one at a time.
 *
 * Every script a table names exists while that table is in force: setups
 * write a table's scripts before swapping it in, and only `boot`, after the
 * swap, removes scripts, and only those the new table does not name.
 */
import { posix } from "node:path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import { ConfigWarning, configPath, type Problem } from "../config/Problem.ts"
import type { Features } from "../features/Features.ts"
import { PathLookup } from "../host/PathLookup.ts"
import { removeStaleScripts, type VerifiedScripts } from "../wrappers/ScriptStore.ts"
import { scriptsDirectory } from "../wrappers/WrapperScript.ts"
import { preflight, type RuntimePathLookupError } from "./Preflight.ts"
import {
  chooseRuntime,
  configuredChoices,
  describeRuntimes,
  featuresOf,
  type RuntimeChoice,
  type RuntimesInfo,
  type RuntimeTable,
  type UnknownRuntime
} from "./RuntimeTable.ts"
import { type SetupError, type SetupOptions, setupRuntimes, type SetupServices } from "./Setup.ts"

/** There is no table: nothing has been set up successfully yet. */
export class RuntimesNotSetUp extends Schema.TaggedError<RuntimesNotSetUp>()("RuntimesNotSetUp", {}) {
  override get message(): string {
    return "runtimes have not been set up yet: boot the registry first"
  }
}

export type GetError = UnknownRuntime | RuntimePathLookupError | RuntimesNotSetUp

/** What a caller found wrong before the configuration got here (bad flags): fails the setup with the configuration's own problems. */
export interface SetupRequest {
  readonly upstreamProblems?: ReadonlyArray<Problem> | undefined
}

export interface RuntimeRegistry {
  /**
   * First setup: sets up as `reload` does, then, once the new table is in
   * force, removes from `<data-root>/runtimes` every file it does not name
   * (scripts of earlier runs, temporary files a crash left); what could not
   * be removed is a warning of the returned table. On failure nothing is
   * removed and the previous table, if any, stays in force.
   */
  readonly boot: (config: DaemonConfig, request?: SetupRequest) => Effect.Effect<RuntimeTable, SetupError>
  /**
   * Later setups: missing scripts are written, existing ones verified (and
   * rewritten when not exactly ours), none removed, since running containers
   * may still use scripts of earlier configurations. On failure the previous
   * table stays in force.
   */
  readonly reload: (config: DaemonConfig, request?: SetupRequest) => Effect.Effect<RuntimeTable, SetupError>
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

/** A table in force, with `get`'s answers for its configured names built in advance. */
interface Installed {
  readonly table: RuntimeTable
  readonly answers: ReadonlyMap<string, Effect.Effect<RuntimeChoice, GetError>>
  /** What `get` returns for those names: reads the table in force when run (see `install`). */
  readonly lookups: ReadonlyMap<string, Effect.Effect<RuntimeChoice, GetError>>
}

/** The file names of the scripts a table names, which `boot` keeps. */
const scriptNames = (table: RuntimeTable): ReadonlySet<string> =>
  new Set(table.runtimes.flatMap((runtime) => runtime.wrapper === undefined ? [] : [posix.basename(runtime.wrapper.path)]))

const notSetUp = Effect.fail(new RuntimesNotSetUp())

/**
 * What an embedder may set for every setup of a registry. `scripts` is
 * `"keep"` (the default: scripts written and verified, and removed by `boot`
 * once no table names them) or `"none"` (nothing written or removed; the
 * tables still name the scripts where they would be), for a registry that
 * must not touch the file system, such as a test's.
 */
export type RegistryOptions = Omit<SetupOptions, "verifiedScripts" | "upstreamProblems">

/** The registry, with `initial` in force from the start, or no table until `boot`. */
const make = (
  options: RegistryOptions,
  initial: RuntimeTable | undefined
): Effect.Effect<RuntimeRegistry, never, SetupServices | PathLookup> =>
  Effect.gen(function*() {
    const services = yield* Effect.context<SetupServices>()
    const lookup = yield* PathLookup
    const setupLock = yield* Semaphore.make(1)
    const verifiedScripts: VerifiedScripts = new Map()
    /**
     * The table in force. A plain variable rather than a `Ref`: assigning a
     * reference is already atomic in JavaScript, and `get`, which runs for
     * every container, then costs one read.
     */
    let current: Installed | undefined

    /**
     * How many times a boot has started removing scripts. A `get` that waited
     * on a pre-flight check while this changed may hold a choice whose script
     * is being removed, so it chooses again from the table now in force.
     */
    let prunes = 0

    /**
     * The answer for a choice. One with a pre-flight check waits on the file
     * system; if a boot began pruning meanwhile, the name is looked up again,
     * so a `get` never returns a script a boot may be removing. (A reload
     * removes nothing: an answer from the table it replaced stays valid.)
     */
    const answer = (name: string, choice: RuntimeChoice): Effect.Effect<RuntimeChoice, GetError> =>
      choice.preflightPath === undefined
        ? Effect.succeed(choice)
        : Effect.suspend(() => {
          const seen = prunes
          return preflight(choice).pipe(
            Effect.provideService(PathLookup, lookup),
            Effect.flatMap(() => prunes === seen ? Effect.succeed(choice) : get(name))
          )
        })

    /** `get`'s answer from the table in force when it runs. */
    const answerNow = (name: string): Effect.Effect<RuntimeChoice, GetError> => {
      const installed = current
      if (installed === undefined) return notSetUp
      return installed.answers.get(name) ?? Result.match(chooseRuntime(installed.table, name), {
        onFailure: Effect.fail,
        onSuccess: (choice) => answer(name, choice)
      })
    }

    /**
     * `get` runs for every container, so for the configured names the lazy
     * effect it returns is built once per table rather than on every call.
     * It still reads the table when it runs: one obtained before a swap and
     * run after it answers from the new table.
     */
    const install = (table: RuntimeTable): Installed => {
      const answers = new Map<string, Effect.Effect<RuntimeChoice, GetError>>()
      const lookups = new Map<string, Effect.Effect<RuntimeChoice, GetError>>()
      for (const [name, choice] of configuredChoices(table)) {
        answers.set(name, answer(name, choice))
        lookups.set(name, Effect.suspend(() => answerNow(name)))
      }
      return { table, answers, lookups }
    }

    const get = (name: string): Effect.Effect<RuntimeChoice, GetError> =>
      current?.lookups.get(name) ?? Effect.suspend(() => answerNow(name))

    /** Swaps `table` in; the previous table stays in force if this never runs. */
    const swapIn = (table: RuntimeTable) =>
      Effect.sync(() => {
        current = install(table)
        return table
      })

    /** After a boot's swap: removes what the new table does not name, reporting what stayed. */
    const prune = (config: DaemonConfig, table: RuntimeTable) =>
      Effect.gen(function*() {
        prunes++
        const failures = yield* removeStaleScripts(scriptsDirectory(config.dataRoot), scriptNames(table))
        if (failures.length === 0) return table
        return yield* swapIn({
          ...table,
          warnings: [
            ...table.warnings,
            ...failures.map((message) => new ConfigWarning({ path: configPath(["data-root"]), message }))
          ]
        })
      })

    const scripts = options.scripts ?? "keep"

    const setup = (
      config: DaemonConfig,
      request: SetupRequest | undefined,
      afterSwap: (table: RuntimeTable) => Effect.Effect<RuntimeTable, never, SetupServices>
    ) =>
      setupRuntimes(config, { ...options, scripts, verifiedScripts, upstreamProblems: request?.upstreamProblems }).pipe(
        Effect.flatMap(swapIn),
        Effect.flatMap(afterSwap),
        Effect.provide(services),
        setupLock.withPermit
      )

    if (initial !== undefined) current = install(initial)

    const table = Effect.suspend(() => current === undefined ? notSetUp : Effect.succeed(current.table))

    return {
      boot: (config, request) =>
        setup(config, request, (table) => scripts === "none" ? Effect.succeed(table) : prune(config, table)),
      reload: (config, request) => setup(config, request, Effect.succeed),
      get,
      features: (name) => Effect.sync(() => current === undefined ? undefined : featuresOf(current.table, name)),
      info: Effect.map(table, describeRuntimes),
      table
    }
  })

/** A registry with no table yet; `boot` sets the first one up. */
export const layer = (
  options: RegistryOptions = {}
): Layer.Layer<RuntimeRegistry, never, SetupServices | PathLookup> =>
  Layer.effect(RuntimeRegistry)(make(options, undefined))

/**
 * A registry with `table` in force from the start, as if it had been booted
 * with it: for tests, or for a table read back from JSON. Later setups are as
 * `layer`'s.
 */
export const layerFrom = (
  table: RuntimeTable,
  options: RegistryOptions = {}
): Layer.Layer<RuntimeRegistry, never, SetupServices | PathLookup> =>
  Layer.effect(RuntimeRegistry)(make(options, table))

/** A registry booted with `config` as it is built; building fails as `boot` would. */
export const layerBooted = (
  config: DaemonConfig,
  options: RegistryOptions = {}
): Layer.Layer<RuntimeRegistry, SetupError, SetupServices | PathLookup> =>
  Layer.effectDiscard(Effect.flatMap(RuntimeRegistry, (registry) => registry.boot(config))).pipe(
    Layer.provideMerge(layer(options))
  )
