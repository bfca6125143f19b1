/**
 * The steps every command shares: read daemon.json, apply dockerd's flags,
 * set the runtimes up. Kept apart from the commands so that each command is
 * only what it adds (a lookup, a listing) and how it prints.
 */
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Result from "effect/Result"
import { loadDaemonConfig } from "../config/ConfigFile.ts"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import type { ConfigFileError, ConfigSchemaError, ConfigSyntaxError, InvalidRuntimeConfig } from "../config/Errors.ts"
import { applyFlags } from "../config/Flags.ts"
import { HostFacts } from "../host/HostFacts.ts"
import { planRuntimes } from "../registry/RuntimePlan.ts"
import type { RuntimeTable } from "../registry/RuntimeTable.ts"
import {
  type ScriptsMode,
  type SetupError,
  type SetupOptions,
  setupRuntimes,
  type SetupServices
} from "../registry/Setup.ts"
import type { CliOptions } from "./Options.ts"

export type LoadError = ConfigFileError | ConfigSyntaxError | ConfigSchemaError

export interface SetUp {
  /** The file read, or `undefined` when the default file is absent and the defaults apply. */
  readonly file: string | undefined
  /** The file's settings with the flags applied. */
  readonly config: DaemonConfig
  readonly table: RuntimeTable
}

/**
 * Loads and sets up. `scripts` is `"none"` unless the user asked for wrapper
 * scripts to be written; it is never `"reset"`, which deletes: the CLI only
 * ever adds files. `probeOnly` names the runtimes whose features matter (see `SetupOptions`).
 */
export const setUp = (
  options: CliOptions,
  scripts: Exclude<ScriptsMode, "reset">,
  probeOnly?: SetupOptions["probeOnly"]
): Effect.Effect<SetUp, LoadError | SetupError, SetupServices> =>
  Effect.gen(function*() {
    const { config, file } = yield* loadConfig(options)
    const table = yield* setupRuntimes(config, { scripts, probeOnly, probe: probeOptions(options) })
    return { file, config, table }
  })

/**
 * Reads daemon.json and applies the flags, for a command that sets the
 * runtimes up itself (through a registry). Flags with problems fail the
 * configuration for sure: then it is planned here, with the flags' problems
 * as upstream ones, so that one error reports them with the rest of the
 * configuration's; without any, setting up plans it.
 */
export const loadConfig = (
  options: CliOptions
): Effect.Effect<Omit<SetUp, "table">, LoadError | InvalidRuntimeConfig, HostFacts | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const loaded = yield* loadDaemonConfig(options.configFile)
    const { config, problems } = applyFlags(loaded.config, loaded.setKeys, options.daemonFlags)
    if (problems.length > 0) {
      const planned = planRuntimes(config, yield* (yield* HostFacts).read, { upstreamProblems: problems })
      if (Result.isFailure(planned)) return yield* Effect.fail(planned.failure)
    }
    return { file: loaded.file, config }
  })

/** The probe settings the flags ask for. */
export const probeOptions = (options: CliOptions) => ({ timeout: options.probeTimeout })
