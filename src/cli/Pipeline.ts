/**
 * The steps every command shares: read daemon.json, apply dockerd's flags,
 * set the runtimes up. Kept apart from the commands so that each command is
 * only what it adds (a lookup, a listing) and how it prints.
 */
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import { loadDaemonConfig } from "../config/ConfigFile.ts"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import type { ConfigFileError, ConfigSchemaError, ConfigSyntaxError, DaemonFlagsError } from "../config/Errors.ts"
import { applyFlags } from "../config/Flags.ts"
import type { RuntimeTable } from "../registry/RuntimeTable.ts"
import { type ScriptsMode, type SetupError, setupRuntimes, type SetupServices } from "../registry/Setup.ts"
import type { CliOptions } from "./Options.ts"

export type LoadError = ConfigFileError | ConfigSyntaxError | ConfigSchemaError | DaemonFlagsError

export interface LoadedConfig {
  /** The file read, or `undefined` when the default file is absent and the defaults apply. */
  readonly file: string | undefined
  /** The file's settings with the flags applied. */
  readonly config: DaemonConfig
}

/** daemon.json (or the defaults) with dockerd's flags applied. */
export const loadConfig = (options: CliOptions): Effect.Effect<LoadedConfig, LoadError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const loaded = yield* loadDaemonConfig(options.configFile)
    const config = yield* Effect.fromResult(applyFlags(loaded.config, loaded.setKeys, options.daemonFlags))
    return { file: loaded.file, config }
  })

export interface SetUp extends LoadedConfig {
  readonly table: RuntimeTable
}

/**
 * Loads and sets up. `scripts` is `"none"` unless the user asked for wrapper
 * scripts to be written; it is never `"reset"`, which deletes: the CLI only
 * ever adds files.
 */
export const setUp = (
  options: CliOptions,
  scripts: Exclude<ScriptsMode, "reset">
): Effect.Effect<SetUp, LoadError | SetupError, SetupServices> =>
  Effect.gen(function*() {
    const loaded = yield* loadConfig(options)
    const table = yield* setupRuntimes(loaded.config, {
      scripts,
      probe: { timeout: options.probeTimeout }
    })
    return { ...loaded, table }
  })
