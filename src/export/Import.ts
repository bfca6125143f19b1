/**
 * Another runtime manager's runtimes back as daemon.json `runtimes` and
 * `default-runtime`: what each format's reader found (`Foreign`), turned
 * into dockerd's terms, with a finding for whatever daemon.json cannot say.
 *
 * Exact where dockerd can be: a runtime behind the runc shim whose options
 * are exactly what dockerd gives a `path` runtime on this node comes back
 * as that `path` runtime — with its `runtimeArgs`, when its binary is one
 * of our wrapper scripts, read back; any other runc shim options come back
 * as a `runtimeType` runtime with those options, which dockerd sends as
 * they are. A `runc` that is dockerd's own is the stock runtime.
 *
 * Pure: the wrapper scripts are read beforehand (`scriptsToRead`).
 */
import { posix } from "node:path"
import * as Result from "effect/Result"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import { locatedText } from "../config/Errors.ts"
import { cgroupDriverKey } from "../config/ExecOpts.ts"
import { compareBytes } from "../names/ByteOrder.ts"
import { runcShimName, stockRuntimeName } from "../names/RuntimeName.ts"
import type { HostSnapshot } from "../host/HostFacts.ts"
import { type CgroupDriver, planRuntimes } from "../registry/RuntimePlan.ts"
import { parseWrapperScript } from "../wrappers/WrapperScript.ts"
import { differs, type Finding, leftOut } from "./Finding.ts"
import type { StockRunc } from "./Target.ts"
import { type TomlReader, tomlPath, type TomlTable } from "./TomlShape.ts"

/** How a runtime of the file is started. */
export type ForeignLaunch =
  /** containerd's runc shim, with its options table (Go names, JSON values). */
  | { readonly _tag: "RuncShim"; readonly options: Readonly<Record<string, unknown>> | undefined }
  /**
   * Any other containerd shim; `binary`, when the manager names the shim's
   * binary itself (CRI-O's `runtime_path`), rather than a runtime type.
   */
  | {
    readonly _tag: "Shim"
    readonly runtimeType: string
    readonly options: Readonly<Record<string, unknown>> | undefined
    readonly binary?: string
  }
  /** A runc-compatible binary the manager runs itself, with its state directory if set. */
  | { readonly _tag: "Binary"; readonly binary: string; readonly root: string | undefined }

export interface ForeignRuntime {
  readonly handler: string
  /** The runtime's key path in the file, for findings. */
  readonly path: string
  readonly launch: ForeignLaunch
}

/** A setting of the file, and where it is. */
export interface Located<A> {
  readonly value: A
  readonly path: string
}

/** What a format's reader found in a file. */
export interface Foreign {
  readonly runtimes: ReadonlyArray<ForeignRuntime>
  readonly defaultHandler: Located<string> | undefined
  /** The manager's cgroup manager for every runtime, when it has one. */
  readonly cgroupDriver: Located<CgroupDriver> | undefined
  readonly noPivotRoot: Located<boolean> | undefined
  /** Settings the reader already knows daemon.json cannot take. */
  readonly findings: ReadonlyArray<Finding>
}

/** A format that can be imported: how its file is read. */
export interface ImportSource {
  /** The `--from` name. */
  readonly format: string
  /** What the file says; wrong types and missing tables go to `reader`'s problems. */
  readonly read: (root: TomlTable, reader: TomlReader) => Foreign
}

/** What dockerd would do on this node, with these flags, that an import is compared with. */
export interface ImportContext {
  readonly stock: StockRunc
  readonly cgroupDriver: CgroupDriver
  /** `<data-root>/runtimes`, where our wrapper scripts are. */
  readonly scriptsDirectory: string
  /** The wrapper scripts read, by path; a path missing here could not be read. */
  readonly scripts: ReadonlyMap<string, string>
  /** Where a bare name is on PATH, if it is (`runc`, shim binaries: see `importedBinariesToLocate`). */
  readonly locate: (binary: string) => string | undefined
  /** Whether two absolute paths name one file (a link and what it leads to); see `pathsToResolve`. */
  readonly sameFile: (left: string, right: string) => boolean
}

export interface DaemonJsonRuntime {
  readonly path?: string
  readonly runtimeArgs?: ReadonlyArray<string>
  readonly runtimeType?: string
  readonly options?: Readonly<Record<string, unknown>>
}

export interface ImportedDaemonJson {
  readonly "default-runtime"?: string
  readonly "exec-opts"?: ReadonlyArray<string>
  readonly runtimes: Readonly<Record<string, DaemonJsonRuntime>>
}

export interface Imported {
  readonly daemonJson: ImportedDaemonJson
  readonly findings: ReadonlyArray<Finding>
}

/** Whether `binary` is a file of the wrapper scripts directory, `//`, `/./` and `..` in its path or not (links are not followed). */
const inScriptsDirectory = (binary: string, scriptsDirectory: string) =>
  posix.isAbsolute(binary) && posix.dirname(posix.normalize(binary)) === scriptsDirectory

/** Why a file of the scripts directory that is not one of dockerd's wrapper scripts will not stay there. */
const prunedAtBoot = (scriptsDirectory: string) =>
  `dockerd removes the files of ${scriptsDirectory} its runtimes do not use as wrapper scripts when it starts: move it elsewhere`

/** The wrapper scripts an import would read back: runtime binaries in the scripts directory. */
export const scriptsToRead = (foreign: Foreign, scriptsDirectory: string): ReadonlyArray<string> =>
  foreign.runtimes.flatMap(({ launch }) => {
    const binary = launch._tag === "Binary"
      ? launch.binary
      : launch._tag === "RuncShim" && typeof launch.options?.["BinaryName"] === "string"
      ? launch.options["BinaryName"]
      : undefined
    return binary !== undefined && inScriptsDirectory(binary, scriptsDirectory) ? [binary] : []
  })

/** A runc-compatible binary as a `path` runtime: our wrapper script read back as its binary and args. */
const pathRuntime = (runtime: ForeignRuntime, binary: string, context: ImportContext) => {
  if (!inScriptsDirectory(binary, context.scriptsDirectory)) return { runtime: { path: binary }, findings: [] }
  const content = context.scripts.get(binary)
  const parsed = content === undefined ? undefined : parseWrapperScript(content)
  if (parsed === undefined) {
    return {
      runtime: { path: binary },
      findings: [differs(
        runtime.path,
        `${binary} is in the wrapper scripts directory but ${content === undefined ? "could not be read" : "is not a wrapper script"}: ` +
          `imported as the runtime's path, so any runtimeArgs stay inside it; ${prunedAtBoot(context.scriptsDirectory)}`
      )]
    }
  }
  return { runtime: parsed.args.length > 0 ? { path: parsed.binary, runtimeArgs: parsed.args } : { path: parsed.binary }, findings: [] }
}

/** The runc shim options dockerd itself gives a `path` runtime running `binary` on this node. */
const pathRuntimeOptions = (binary: string, stock: StockRunc): Readonly<Record<string, unknown>> => ({
  BinaryName: binary,
  NoPivotRoot: stock.noPivotRoot,
  Root: stock.root,
  SystemdCgroup: stock.systemdCgroup
})

const sameOptions = (left: Readonly<Record<string, unknown>>, right: Readonly<Record<string, unknown>>) => {
  const keys = Object.keys(left).sort(compareBytes)
  return keys.join("\0") === Object.keys(right).sort(compareBytes).join("\0") && keys.every((key) => left[key] === right[key])
}

/** The binary of runc shim options that are exactly dockerd's for a `path` runtime, if they are. */
const pathRuntimeBinary = (options: Readonly<Record<string, unknown>> | undefined, stock: StockRunc): string | undefined => {
  const binary = options?.["BinaryName"]
  return typeof binary === "string" && binary !== "" && sameOptions(options!, pathRuntimeOptions(binary, stock))
    ? binary
    : undefined
}

/**
 * A shim named by its binary comes back as its runtime type when containerd,
 * looking that type's binary up on PATH, would find this very file; else as
 * the binary's path, which dockerd hands containerd as it is.
 */
const shimRuntimeType = (launch: Extract<ForeignLaunch, { _tag: "Shim" }>, context: ImportContext): string =>
  launch.binary === undefined || !posix.isAbsolute(launch.binary) || isLocated(launch.binary, posix.basename(launch.binary), context)
    ? launch.runtimeType
    : launch.binary

/** Whether `binary` is the file PATH finds for `name`. */
const isLocated = (binary: string, name: string, context: ImportContext): boolean => {
  const located = context.locate(name)
  return located !== undefined && context.sameFile(binary, located)
}

/** The absolute binary paths of the file an import compares with what PATH finds. */
export const pathsToResolve = (foreign: Foreign): ReadonlyArray<string> =>
  foreign.runtimes.flatMap(({ launch }) => {
    const binary = launch._tag === "Binary" ? launch.binary : launch._tag === "Shim" ? launch.binary : undefined
    return binary !== undefined && posix.isAbsolute(binary) ? [binary] : []
  })

/** The bare names an import looks up on PATH: `runc`, and the shim binaries the file names by path. */
export const importedBinariesToLocate = (foreign: Foreign): ReadonlyArray<string> => [
  stockRuntimeName,
  ...foreign.runtimes.flatMap(({ launch }) => launch._tag === "Shim" && launch.binary !== undefined ? [posix.basename(launch.binary)] : [])
]

type Translated = { readonly runtime: DaemonJsonRuntime | "stock"; readonly findings: ReadonlyArray<Finding> }

const translateBinary = (runtime: ForeignRuntime, binary: string, root: string | undefined, context: ImportContext): Translated => {
  const findings: Array<Finding> = root !== undefined && root !== context.stock.root
    ? [differs(`${runtime.path}.runtime_root`, `dockerd keeps every runc-compatible runtime's state in ${context.stock.root}, not ${root}`)]
    : []
  if (runtime.handler === stockRuntimeName && (binary === stockRuntimeName || isLocated(binary, stockRuntimeName, context))) {
    return { runtime: "stock", findings }
  }
  const translated = pathRuntime(runtime, binary, context)
  return { runtime: translated.runtime, findings: [...findings, ...translated.findings] }
}

const translateLaunch = (runtime: ForeignRuntime, context: ImportContext): Translated => {
  const { launch } = runtime
  switch (launch._tag) {
    case "Binary":
      return translateBinary(runtime, launch.binary, launch.root, context)
    case "RuncShim": {
      const binary = pathRuntimeBinary(launch.options, context.stock)
      if (binary !== undefined) return translateBinary(runtime, binary, undefined, context)
      const named = launch.options?.["BinaryName"]
      // Only a `path` runtime's binary is a wrapper script to dockerd; one named in runc shim options is pruned.
      const findings = typeof named === "string" && inScriptsDirectory(named, context.scriptsDirectory)
        ? [differs(`${runtime.path}.options.BinaryName`, `${named} is in the wrapper scripts directory: ${prunedAtBoot(context.scriptsDirectory)}`)]
        : []
      return { runtime: { runtimeType: runcShimName, ...(launch.options === undefined ? {} : { options: launch.options }) }, findings }
    }
    case "Shim":
      return { runtime: { runtimeType: shimRuntimeType(launch, context), ...(launch.options === undefined ? {} : { options: launch.options }) }, findings: [] }
  }
}

/** A runtime called runc that is not dockerd's own: daemon.json cannot redefine it. */
const redefinesRunc = (runtime: ForeignRuntime): Finding =>
  leftOut(runtime.path, `runtime ${stockRuntimeName} differs from dockerd's own, which daemon.json cannot redefine: left out (import it under another name)`)

const globalFindings = (foreign: Foreign, context: ImportContext): { readonly execOpts: ReadonlyArray<string>; readonly findings: ReadonlyArray<Finding> } => {
  const findings: Array<Finding> = []
  const driver = foreign.cgroupDriver
  const execOpts = driver !== undefined && driver.value !== context.cgroupDriver ? [`${cgroupDriverKey}=${driver.value}`] : []
  const noPivot = foreign.noPivotRoot
  if (noPivot !== undefined && noPivot.value !== context.stock.noPivotRoot) {
    findings.push(differs(
      noPivot.path,
      `daemon.json has no setting for it: dockerd skips pivot_root only when DOCKER_RAMDISK is set (here: ${context.stock.noPivotRoot ? "set" : "not set"})`
    ))
  }
  return { execOpts, findings }
}

const sortedRuntimes = (runtimes: ReadonlyMap<string, DaemonJsonRuntime>) =>
  Object.fromEntries([...runtimes].sort(([left], [right]) => compareBytes(left, right)))

/** What dockerd would do with the file's cgroup driver in force: its stock runc follows the driver. */
const underFileDriver = (foreign: Foreign, context: ImportContext): ImportContext =>
  foreign.cgroupDriver === undefined
    ? context
    : { ...context, stock: { ...context.stock, systemdCgroup: foreign.cgroupDriver.value === "systemd" } }

/** The file's runtimes as daemon.json, with every finding, the reader's first. */
export const toDaemonJson = (foreign: Foreign, context: ImportContext): Imported => {
  const findings: Array<Finding> = [...foreign.findings]
  const runtimes = new Map<string, DaemonJsonRuntime>()
  const dockerd = underFileDriver(foreign, context)
  for (const runtime of foreign.runtimes) {
    const translated = translateLaunch(runtime, dockerd)
    findings.push(...translated.findings)
    if (translated.runtime === "stock") continue
    if (runtime.handler === stockRuntimeName) findings.push(redefinesRunc(runtime))
    else runtimes.set(runtime.handler, translated.runtime)
  }
  const globals = globalFindings(foreign, context)
  findings.push(...globals.findings)
  const wanted = foreign.defaultHandler
  const isDefault = wanted === undefined || wanted.value === stockRuntimeName
  if (!isDefault && !runtimes.has(wanted.value)) {
    findings.push(leftOut(wanted.path, `default runtime ${wanted.value} is not among the imported runtimes`))
  }
  const daemonJson: ImportedDaemonJson = {
    ...(isDefault || !runtimes.has(wanted.value) ? {} : { "default-runtime": wanted.value }),
    ...(globals.execOpts.length > 0 ? { "exec-opts": globals.execOpts } : {}),
    runtimes: sortedRuntimes(runtimes)
  }
  return { daemonJson, findings }
}

/** A `cgroup_manager` setting (CRI-O's and Podman's), if set; one dockerd has no driver for is a finding. */
export const readCgroupDriver = (table: TomlTable, at: ReadonlyArray<string>, reader: TomlReader): {
  readonly driver: Located<CgroupDriver> | undefined
  readonly findings: ReadonlyArray<Finding>
} => {
  const value = reader.string(table, "cgroup_manager", at)
  const path = tomlPath([...at, "cgroup_manager"])
  if (value === undefined || value === "") return { driver: undefined, findings: [] }
  return value === "systemd" || value === "cgroupfs"
    ? { driver: { value, path }, findings: [] }
    : { driver: undefined, findings: [leftOut(path, `cgroup manager ${value} has no dockerd equivalent`)] }
}

/** Where dockerd's planning of the imported daemon.json runs: the flags of `base`, on `host`. */
export interface DockerdSetting {
  readonly base: DaemonConfig
  readonly host: HostSnapshot
}

/** What dockerd's planning says of `runtimes` alone, with the default runtime unset. */
const planned = (runtimes: Readonly<Record<string, DaemonJsonRuntime>>, execOpts: ReadonlyArray<string> | undefined, dockerd: DockerdSetting) =>
  planRuntimes({
    ...dockerd.base,
    runtimes: runtimes as DaemonConfig["runtimes"],
    defaultRuntime: "",
    execOpts: execOpts ?? dockerd.base.execOpts
  }, dockerd.host)

const problemKey = ({ message, path }: { readonly path: string; readonly message: string }) => `${path}\0${message}`

/**
 * The imported daemon.json as dockerd would take it on this node: a runtime
 * dockerd would refuse (options that do not decode, say) is left out, each
 * of its problems a finding at the runtime's key in the file — with the
 * default runtime, if it was that one — and dockerd's warnings are findings
 * of what differs. What is written is always a daemon.json dockerd accepts.
 */
export const acceptedByDockerd = (imported: Imported, foreign: Foreign, dockerd: DockerdSetting): Imported => {
  const findings: Array<Finding> = [...imported.findings]
  const keyOf = new Map(foreign.runtimes.map((runtime) => [runtime.handler, runtime.path]))
  const execOpts = imported.daemonJson["exec-opts"]
  // What dockerd says of the settings but the runtimes (an exec-opt it ignores, say), told once.
  const own = Result.match(planned({}, execOpts, dockerd), {
    onSuccess: (plan) => plan.warnings,
    onFailure: (error) => {
      for (const problem of error.problems) findings.push(leftOut(problem.path, `dockerd would refuse this: ${problem.message}`))
      return error.warnings
    }
  })
  for (const warning of own) findings.push(differs(warning.path, warning.message))
  const told = new Set(own.map(problemKey))
  const kept = new Map<string, DaemonJsonRuntime>()
  for (const [name, runtime] of Object.entries(imported.daemonJson.runtimes)) {
    const at = keyOf.get(name) ?? `runtimes.${name}`
    Result.match(planned({ [name]: runtime }, execOpts, dockerd), {
      onSuccess: (plan) => {
        kept.set(name, runtime)
        for (const warning of plan.warnings) if (!told.has(problemKey(warning))) findings.push(differs(at, locatedText(warning)))
      },
      onFailure: (error) => {
        for (const problem of error.problems) findings.push(leftOut(at, `left out: dockerd would refuse ${locatedText(problem)}`))
      }
    })
  }
  const wanted = imported.daemonJson["default-runtime"]
  const defaultKept = wanted === undefined || kept.has(wanted)
  if (!defaultKept) {
    findings.push(leftOut(foreign.defaultHandler?.path ?? "default-runtime", `default runtime ${wanted} is left out with its runtime`))
  }
  const daemonJson: ImportedDaemonJson = {
    ...(defaultKept && wanted !== undefined ? { "default-runtime": wanted } : {}),
    ...(execOpts === undefined ? {} : { "exec-opts": execOpts }),
    runtimes: sortedRuntimes(kept)
  }
  return { daemonJson, findings }
}
