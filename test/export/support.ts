/**
 * Tables to export and import in tests: daemon.json in, the table dockerd
 * would build on a given host out, and the export or import of it, with
 * findings as plain `{ level, path, message }`.
 */
import * as Result from "effect/Result"
import { type DaemonConfig, parseDaemonJson } from "../../src/config/DaemonConfig.ts"
import { type Exported, exportTable, stockRunc } from "../../src/export/Export.ts"
import type { ExportFormat, ImportFormat } from "../../src/export/Formats.ts"
import { acceptedByDockerd, type Imported, toDaemonJson } from "../../src/export/Import.ts"
import { readImportFile } from "../../src/export/ImportFile.ts"
import type { HostSnapshot } from "../../src/host/HostFacts.ts"
import { planRuntimes } from "../../src/registry/RuntimePlan.ts"
import { completePlan, type RuntimeTable } from "../../src/registry/RuntimeTable.ts"

export const plainHost: HostSnapshot = { ramdisk: false, cgroupV2: false, systemdBooted: false }
export const systemdHost: HostSnapshot = { ramdisk: false, cgroupV2: true, systemdBooted: true }

/** A node's daemon.json as the export tests use it: crun by default, a runc with runtimeArgs, and Kata's shim. */
export const nodeDaemonJson = {
  "default-runtime": "crun",
  runtimes: {
    crun: { path: "/usr/bin/crun" },
    "runc-debug": { path: "/usr/sbin/runc", runtimeArgs: ["--debug"] },
    kata: { runtimeType: "io.containerd.kata.v2" }
  }
}

/** The flags every test shares: a data root whose scripts directory is `/data/runtimes`. */
export const roots = { "data-root": "/data", "exec-root": "/exec" }

export const configOf = (daemonJson: object): DaemonConfig =>
  Result.getOrThrow(parseDaemonJson(JSON.stringify({ ...roots, ...daemonJson }), "daemon.json")).config

export const tableOf = (daemonJson: object, host: HostSnapshot = plainHost): RuntimeTable =>
  completePlan(Result.getOrThrow(planRuntimes(configOf(daemonJson), host)), () => undefined, [])

/** Binaries as a test's PATH has them: runc, crun and the kata shim in /usr/bin. */
export const usrBin = (binary: string): string | undefined =>
  ["runc", "crun", "containerd-shim-kata-v2"].includes(binary) ? `/usr/bin/${binary}` : undefined

export const exported = (
  table: RuntimeTable,
  format: ExportFormat,
  handlers: Record<string, string> = {},
  locate: (binary: string) => string | undefined = usrBin
): Exported => Result.getOrThrow(exportTable(table, format, { handlers: new Map(Object.entries(handlers)), locate }))

export const findingsOf = (items: ReadonlyArray<{ readonly level: string; readonly path: string; readonly message: string }>) =>
  items.map(({ level, message, path }) => ({ level, path, message }))

export interface ImportSetup {
  readonly host?: HostSnapshot
  /** Wrapper scripts by path, as read from disk. */
  readonly scripts?: ReadonlyMap<string, string>
  readonly base?: object
  /** Where bare names are on PATH; `usrBin` by default. */
  readonly locate?: (binary: string) => string | undefined
  /** Which paths name one file; only equal ones by default. */
  readonly sameFile?: (left: string, right: string) => boolean
}

/** The file as `import` reads it, with dockerd's settings for `base` on `host`. */
export const imported = (format: ImportFormat, text: string, setup: ImportSetup = {}): Imported => {
  const host = setup.host ?? plainHost
  const base = configOf(setup.base ?? {})
  const plan = Result.getOrThrow(planRuntimes(base, host))
  const foreign = Result.getOrThrow(readImportFile(format, text, "file.toml"))
  const result = toDaemonJson(foreign, {
    stock: stockRunc(plan),
    cgroupDriver: plan.cgroupDriver,
    scriptsDirectory: plan.scriptsDirectory,
    scripts: setup.scripts ?? new Map(),
    locate: setup.locate ?? usrBin,
    sameFile: setup.sameFile ?? ((left, right) => left === right)
  })
  return acceptedByDockerd(result, foreign, { base, host })
}
