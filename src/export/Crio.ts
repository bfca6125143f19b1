/**
 * CRI-O: a drop-in for `/etc/crio/crio.conf.d/` defining every runtime
 * under its handler in `[crio.runtime.runtimes.HANDLER]`, and the default
 * runtime, cgroup manager and pivot_root choice in `[crio.runtime]`.
 *
 * CRI-O runs two kinds of runtime: `oci`, a runc-compatible binary it
 * starts through conmon (`runtime_path`, with its state in `runtime_root`),
 * and `vm`, a containerd shim v2 binary (`runtime_path`, with its own
 * configuration file in `runtime_config_path`). dockerd's runtimes behind
 * the runc shim become `oci` runtimes; those with a shim of their own,
 * `vm` runtimes running that shim's binary. The cgroup manager and
 * pivot_root are CRI-O settings for all runtimes: they are the node's, as
 * dockerd decides them, and a runtime asking otherwise is a finding.
 *
 * Pure.
 */
import { posix } from "node:path"
import { stringify } from "smol-toml"
import { configPath, Problem } from "../config/Problem.ts"
import { compareBytes } from "../names/ByteOrder.ts"
import { shimBinaryName } from "../names/RuntimeName.ts"
import type { ResolvedRuntime } from "../registry/RuntimeTable.ts"
import { differs, type Finding, leftOut } from "./Finding.ts"
import type { HandledRuntime } from "./Handlers.ts"
import { type Foreign, type ImportSource, readCgroupDriver } from "./Import.ts"
import { absoluteBinary, type Launch, launchOf, type RuncCarried, runcOptionFindings } from "./RuncCompatible.ts"
import type { ExportInput, ExportTarget, Translation } from "./Target.ts"
import { isEmptySetting, tomlPath, type TomlReader, type TomlTable } from "./TomlShape.ts"

const target = "CRI-O"

const carried: RuncCarried = {
  target,
  perRuntime: new Set(["Root"]),
  cgroupSetting: "cgroup_manager",
  noPivotSetting: "no_pivot"
}

interface RuntimeEntry {
  readonly table: Record<string, string> | undefined
  readonly findings: ReadonlyArray<Finding>
}

/** The binary containerd would start for a shim name; an absolute name is the binary itself. */
const shimBinary = (shim: string): string | undefined => shim.startsWith("/") ? shim : shimBinaryName(shim)

const ociRuntime = (
  runtime: ResolvedRuntime,
  launch: Extract<Launch, { _tag: "Binary" }>,
  input: ExportInput
): RuntimeEntry => {
  const binary = absoluteBinary(runtime, launch.binary, target, input.locate)
  const root = launch.options.root
  return {
    table: { runtime_path: binary.path, ...(root === undefined ? {} : { runtime_root: root }), runtime_type: "oci" },
    findings: [...binary.findings, ...runcOptionFindings(runtime, launch.options, input.stock, carried)]
  }
}

const vmRuntime = (runtime: ResolvedRuntime, launch: Extract<Launch, { _tag: "Shim" }>, input: ExportInput): RuntimeEntry => {
  const at = (key?: string) => configPath(key === undefined ? ["runtimes", runtime.name] : ["runtimes", runtime.name, "options", key])
  const binaryName = shimBinary(launch.shim)
  if (binaryName === undefined) {
    return { table: undefined, findings: [leftOut(at(), `runtimeType ${launch.shim} names no shim binary CRI-O could run`)] }
  }
  if (launch.options?._tag === "RunhcsOptions") {
    return { table: undefined, findings: [leftOut(at(), `${launch.shim} is a Windows shim; CRI-O runs on Linux only`)] }
  }
  const binary = input.locate(binaryName) ?? binaryName
  const findings: Array<Finding> = binary === binaryName && !binaryName.startsWith("/")
    ? [differs(at(), `shim binary ${binaryName} is not on PATH here; CRI-O wants its absolute path, written as ${binaryName}`)]
    : []
  const options = launch.options?._tag === "RuntimeOptions" ? launch.options.value : {}
  if (options.typeUrl) findings.push(leftOut(at("TypeUrl"), "CRI-O has no setting for the shim options' TypeUrl"))
  if (options.configBody) findings.push(leftOut(at("ConfigBody"), "CRI-O passes a shim only a configuration file (runtime_config_path), no ConfigBody"))
  return {
    table: {
      ...(options.configPath ? { runtime_config_path: options.configPath } : {}),
      runtime_path: binary,
      runtime_type: "vm"
    },
    findings
  }
}

const runtimeEntry = ({ runtime }: HandledRuntime, input: ExportInput): RuntimeEntry => {
  const launch = launchOf(runtime)
  return launch._tag === "Binary" ? ociRuntime(runtime, launch, input) : vmRuntime(runtime, launch, input)
}

const translate = (input: ExportInput): Translation => {
  const findings: Array<Finding> = []
  const runtimes: Record<string, Record<string, string>> = {}
  for (const handled of input.runtimes) {
    const entry = runtimeEntry(handled, input)
    findings.push(...entry.findings)
    if (entry.table !== undefined) runtimes[handled.handler] = entry.table
  }
  const defaultExported = input.defaultHandler !== undefined && Object.hasOwn(runtimes, input.defaultHandler)
  if (!defaultExported) {
    findings.push(leftOut("default-runtime", `default runtime ${input.defaultRuntime} is not exported: no default_runtime`))
  }
  const runtime = {
    cgroup_manager: input.cgroupDriver,
    ...(defaultExported ? { default_runtime: input.defaultHandler } : {}),
    no_pivot: input.stock.noPivotRoot,
    runtimes
  }
  return { document: { crio: { runtime } }, findings }
}

/** Bare names these runtimes run: runc-compatible binaries and shim binaries. */
const binariesToLocate = (runtimes: ReadonlyArray<ResolvedRuntime>): ReadonlyArray<string> =>
  runtimes.flatMap((runtime) => {
    const launch = launchOf(runtime)
    const binary = launch._tag === "Binary" ? launch.binary : shimBinary(launch.shim)
    return binary === undefined || posix.isAbsolute(binary) || binary.includes("/") ? [] : [binary]
  })

export const crio: ExportTarget = {
  format: "crio",
  translate,
  render: (document) => stringify(document).trimEnd() + "\n",
  binariesToLocate
}

/* Import ------------------------------------------------------------------ */

const runtimeKeys = new Set(["runtime_type", "runtime_path", "runtime_root", "runtime_config_path"])

/** `containerd-shim-kata-v2` → `io.containerd.kata.v2`: the runtime name containerd maps to that binary. */
export const shimNameOfBinary = (binary: string): string | undefined => {
  const match = /^containerd-shim-(.+)-([^-]+)$/.exec(posix.basename(binary))
  return match === null ? undefined : `io.containerd.${match[1]}.${match[2]}`
}

const readCrioRuntime = (root: TomlTable, at: ReadonlyArray<string>, reader: TomlReader) => {
  const handler = at[at.length - 1]!
  const path = tomlPath(at)
  const table = reader.table(root, at)
  if (table === undefined) return { runtime: undefined, findings: [] }
  const type = reader.string(table, "runtime_type", at) || "oci"
  const runtimePath = reader.string(table, "runtime_path", at) ?? ""
  const runtimeRoot = reader.string(table, "runtime_root", at)
  const configPath = reader.string(table, "runtime_config_path", at)
  const findings: Array<Finding> = Object.keys(table).sort(compareBytes).filter((key) =>
    !runtimeKeys.has(key) && !isEmptySetting(table[key])
  ).map((key) => leftOut(tomlPath([...at, key]), `CRI-O's ${key} has no daemon.json equivalent`))
  if (type === "oci") {
    if (configPath) findings.push(leftOut(tomlPath([...at, "runtime_config_path"]), "an oci runtime takes no configuration file"))
    // An empty runtime_path: CRI-O looks the handler's name up on PATH.
    const launch = { _tag: "Binary" as const, binary: runtimePath || handler, root: runtimeRoot || undefined }
    return { runtime: { handler, path, launch }, findings }
  }
  if (type !== "vm") {
    return { runtime: undefined, findings: [...findings, leftOut(path, `runtime_type ${type} has no dockerd equivalent`)] }
  }
  const runtimeType = shimNameOfBinary(runtimePath)
  if (runtimeType === undefined) {
    findings.push(leftOut(path, `runtime_path ${JSON.stringify(runtimePath)} is not a containerd-shim-NAME-VERSION binary`))
    return { runtime: undefined, findings }
  }
  if (runtimeRoot) findings.push(leftOut(tomlPath([...at, "runtime_root"]), "dockerd has no state directory setting for a shim"))
  const options = configPath ? { ConfigPath: configPath } : undefined
  return { runtime: { handler, path, launch: { _tag: "Shim" as const, runtimeType, options, binary: runtimePath } }, findings }
}

const read = (root: TomlTable, reader: TomlReader): Foreign => {
  const base = ["crio", "runtime"]
  const runtime = reader.table(root, base)
  if (runtime === undefined) {
    if (reader.problems.length === 0) reader.problems.push(new Problem({ path: tomlPath(base), message: "no such table: not a CRI-O configuration" }))
    return { runtimes: [], defaultHandler: undefined, cgroupDriver: undefined, noPivotRoot: undefined, findings: [] }
  }
  const runtimes = reader.table(root, [...base, "runtimes"]) ?? {}
  const read = Object.keys(runtimes).sort(compareBytes).map((handler) => readCrioRuntime(root, [...base, "runtimes", handler], reader))
  const cgroup = readCgroupDriver(runtime, base, reader)
  const defaultName = reader.string(runtime, "default_runtime", base)
  const noPivot = reader.boolean(runtime, "no_pivot", base)
  return {
    runtimes: read.flatMap(({ runtime }) => runtime === undefined ? [] : [runtime]),
    defaultHandler: defaultName ? { value: defaultName, path: tomlPath([...base, "default_runtime"]) } : undefined,
    cgroupDriver: cgroup.driver,
    noPivotRoot: noPivot === undefined ? undefined : { value: noPivot, path: tomlPath([...base, "no_pivot"]) },
    findings: [...read.flatMap(({ findings }) => findings), ...cgroup.findings]
  }
}

export const crioSource: ImportSource = { format: "crio", read }
