/**
 * The steps every command shares: read daemon.json, apply dockerd's flags,
 * set the runtimes up. Kept apart from the commands so that each command is
 * only what it adds (a lookup, a listing) and how it prints.
 */
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import { type ConfigLoadError, loadDaemonConfig } from "../config/ConfigFile.ts"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import { applyFlags } from "../config/Flags.ts"
import type { Problem } from "../config/Problem.ts"
import type { RuntimeTable } from "../registry/RuntimeTable.ts"
import {
  type ScriptsMode,
  type SetupError,
  type SetupOptions,
  setupRuntimes,
  type SetupServices
} from "../registry/Setup.ts"
import type { CliOptions } from "./Options.ts"

export interface Loaded {
  /** The file read, or `undefined` when the default file is absent and the defaults apply. */
  readonly file: string | undefined
  /** The file's settings with the flags applied as far as they could be. */
  readonly config: DaemonConfig
  /** What is wrong with the flags; any at all fail the setup, reported with the configuration's problems. */
  readonly flagProblems: ReadonlyArray<Problem>
}

export interface SetUp {
  readonly file: string | undefined
  readonly config: DaemonConfig
  readonly table: RuntimeTable
}

/**
 * Loads and sets up. `scripts` is `"none"` unless the user asked for wrapper
 * scripts to be written. `probeOnly` names the runtimes whose features matter
 * (see `SetupOptions`).
 */
export const setUp = (
  options: CliOptions,
  scripts: ScriptsMode,
  probeOnly?: SetupOptions["probeOnly"]
): Effect.Effect<SetUp, ConfigLoadError | SetupError, SetupServices> =>
  Effect.gen(function*() {
    const { config, file, flagProblems } = yield* loadConfig(options)
    const table = yield* setupRuntimes(config, {
      scripts,
      probeOnly,
      probe: probeOptions(options),
      upstreamProblems: flagProblems
    })
    return { file, config, table }
  })

/** Reads daemon.json and applies the flags, keeping what is wrong with them for the setup to report. */
export const loadConfig = (options: CliOptions): Effect.Effect<Loaded, ConfigLoadError, FileSystem.FileSystem> =>
  Effect.map(loadDaemonConfig(options.configFile), (loaded) => {
    const { config, problems } = applyFlags(loaded.config, loaded.setKeys, options.daemonFlags)
    return { file: loaded.file, config, flagProblems: problems }
  })

/** The probe settings the flags ask for. */
export const probeOptions = (options: CliOptions) => ({ timeout: options.probeTimeout })
