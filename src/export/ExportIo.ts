/**
 * Export and import as effects: the runtimes set up as the other commands
 * set them up (wrapper scripts written only when asked), binaries looked up
 * on PATH, the imported file and the wrapper scripts it names read — each
 * through the same services as the rest (`FileSystem`, `PathLookup`,
 * `HostFacts`), around the pure translations of `Export` and `Import`.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import { readConfigText } from "../config/ConfigFile.ts"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import type { ConfigFileError, InvalidRuntimeConfig } from "../config/Errors.ts"
import type { Problem } from "../config/Problem.ts"
import { HostFacts } from "../host/HostFacts.ts"
import { PathLookup } from "../host/PathLookup.ts"
import { planRuntimes } from "../registry/RuntimePlan.ts"
import type { RuntimeTable } from "../registry/RuntimeTable.ts"
import { type ScriptsMode, type SetupError, setupRuntimes, type SetupServices } from "../registry/Setup.ts"
import { binariesToLocate, type Exported, exportTable, stockRunc } from "./Export.ts"
import type { ExportError, ImportError } from "./ExportError.ts"
import type { Finding } from "./Finding.ts"
import {
  acceptedByDockerd,
  importedBinariesToLocate,
  type ImportedDaemonJson,
  pathsToResolve,
  scriptsToRead,
  toDaemonJson
} from "./Import.ts"
import { readImportFile } from "./ImportFile.ts"
import type { ExportFormat, ImportFormat } from "./Targets.ts"

export interface ExportRequest {
  readonly format: ExportFormat
  /** `--handler NAME=HANDLER`. */
  readonly handlers: ReadonlyMap<string, string>
  /** `"keep"` writes the missing wrapper scripts the exported paths name. */
  readonly scripts: ScriptsMode
  /** Problems found before planning (the flags'). */
  readonly upstreamProblems?: ReadonlyArray<Problem> | undefined
}

/** Where each bare name is on PATH, for those found. */
const locateAll = (names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const lookup = yield* PathLookup
    const found = new Map<string, string>()
    for (const name of names) {
      const path = yield* Effect.option(lookup.lookPath(name))
      if (path._tag === "Some") found.set(name, path.value)
    }
    return found
  })

/** Where each path leads, links followed, for those that lead somewhere. */
const realPaths = (paths: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const real = new Map<string, string>()
    for (const path of new Set(paths)) {
      const resolved = yield* Effect.option(fs.realPath(path))
      if (resolved._tag === "Some") real.set(path, resolved.value)
    }
    return real
  })

/** The table set up from `config` (no features probed: a translation needs none), and its export. */
export const exportRuntimes = (
  config: DaemonConfig,
  request: ExportRequest
): Effect.Effect<{ readonly table: RuntimeTable; readonly exported: Exported }, SetupError | ExportError, SetupServices | PathLookup> =>
  Effect.gen(function*() {
    const table = yield* setupRuntimes(config, {
      scripts: request.scripts,
      probeOnly: [],
      upstreamProblems: request.upstreamProblems
    })
    const located = yield* locateAll(binariesToLocate(table, request.format))
    const exported = yield* Effect.fromResult(
      exportTable(table, request.format, { handlers: request.handlers, locate: (binary) => located.get(binary) })
    )
    return { table, exported }
  })

export interface ImportRequest {
  readonly format: ImportFormat
  readonly file: string
  /** Problems found before planning (the flags'). */
  readonly upstreamProblems?: ReadonlyArray<Problem> | undefined
}

export interface ImportResult {
  readonly daemonJson: ImportedDaemonJson
  readonly findings: ReadonlyArray<Finding>
}

/**
 * The scripts that could be read, by path; one that cannot is simply not
 * there. Read as configuration files are, so that a FIFO or a device under a
 * script's name is not read at all, rather than blocking or never ending.
 */
const readScripts = (paths: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const scripts = new Map<string, string>()
    for (const path of paths) {
      const content = yield* Effect.option(readConfigText(path))
      if (content._tag === "Some") scripts.set(path, content.value)
    }
    return scripts
  })

/**
 * The file's runtimes as daemon.json for a dockerd configured as `base`
 * (its data and exec roots and exec-opts; its runtimes are not used), on
 * this node.
 */
export const importRuntimes = (
  base: DaemonConfig,
  request: ImportRequest
): Effect.Effect<ImportResult, ConfigFileError | ImportError | InvalidRuntimeConfig, FileSystem.FileSystem | HostFacts | PathLookup> =>
  Effect.gen(function*() {
    const foreign = yield* Effect.fromResult(readImportFile(request.format, yield* readConfigText(request.file), request.file))
    const host = yield* (yield* HostFacts).read
    const bare: DaemonConfig = { ...base, runtimes: {}, defaultRuntime: "" }
    const plan = yield* Effect.fromResult(planRuntimes(bare, host, { upstreamProblems: request.upstreamProblems }))
    const located = yield* locateAll(importedBinariesToLocate(foreign))
    const real = yield* realPaths([...pathsToResolve(foreign), ...located.values()])
    const imported = toDaemonJson(foreign, {
      stock: stockRunc(plan),
      cgroupDriver: plan.cgroupDriver,
      scriptsDirectory: plan.scriptsDirectory,
      scripts: yield* readScripts(scriptsToRead(foreign, plan.scriptsDirectory)),
      locate: (binary) => located.get(binary),
      sameFile: (left, right) => (real.get(left) ?? left) === (real.get(right) ?? right)
    })
    return acceptedByDockerd(imported, foreign, { base: bare, host })
  })

