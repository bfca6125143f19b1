/**
 * containerd's CRI plugin: a drop-in for containerd's `imports` that
 * defines every runtime under its handler, with the shim (`runtime_type`)
 * and the shim options dockerd would send, and names the default runtime.
 *
 * Two layouts, one mapping: containerd 1.6 and 1.7 (`version = 2`,
 * `[plugins."io.containerd.grpc.v1.cri".containerd]`) and containerd 2.x
 * (`version = 3`, `[plugins."io.containerd.cri.v1.runtime".containerd]`).
 *
 * The CRI plugin decodes a runtime's `options` table into the options
 * message of its `runtime_type` (runc's for the runc shim, runhcs's for the
 * Windows shim, `runtimeoptions.v1.Options` for any other), as dockerd
 * does. One difference: for any other shim, when `ConfigPath` is empty it
 * sends the whole table, as TOML, in `ConfigBody`; dockerd sends what was
 * set. So a `ConfigBody` of daemon.json cannot be expressed, and options
 * without a `ConfigPath` reach the shim with one more field.
 *
 * Pure.
 */
import { stringify } from "smol-toml"
import { configPath, Problem } from "../config/Problem.ts"
import { compareBytes } from "../names/ByteOrder.ts"
import { runcShimName, runhcsShimName, stockRuntimeName } from "../names/RuntimeName.ts"
import { RunhcsOptionsMessage } from "../options/RunhcsOptions.ts"
import type { CgroupDriver } from "../registry/RuntimePlan.ts"
import type { ShimOptions } from "../options/ShimOptions.ts"
import { differs, type Finding, leftOut } from "./Finding.ts"
import { goOptionsTable, type TomlValue, withEnumNames } from "./GoOptions.ts"
import type { HandledRuntime } from "./Handlers.ts"
import type { Foreign, ForeignRuntime, ImportSource, Located } from "./Import.ts"
import type { ExportInput, ExportTarget, Translation } from "./Target.ts"
import { describeToml, isEmptySetting, jsonOfToml, tomlPath, type TomlReader, type TomlTable } from "./TomlShape.ts"

/** Where the runtimes of one containerd generation live. */
export interface CriLayout {
  readonly version: number
  /** The CRI plugin whose `containerd` table holds the runtimes. */
  readonly plugin: string
}

export const criV2: CriLayout = { version: 2, plugin: "io.containerd.grpc.v1.cri" }
export const criV3: CriLayout = { version: 3, plugin: "io.containerd.cri.v1.runtime" }

const optionsPath = (name: string, key: string) => configPath(["runtimes", name, "options", key])

/** What the CRI plugin cannot carry of a runtime's options. */
const optionFindings = (name: string, options: ShimOptions): ReadonlyArray<Finding> => {
  if (options._tag !== "RuntimeOptions") return []
  const findings: Array<Finding> = []
  if (options.value.configBody !== undefined) {
    findings.push(leftOut(
      optionsPath(name, "ConfigBody"),
      "containerd's CRI plugin has no ConfigBody option: it fills ConfigBody itself, with the options table, when ConfigPath is empty"
    ))
  }
  if (!options.value.configPath) {
    findings.push(differs(
      configPath(["runtimes", name, "options"]),
      "without a ConfigPath, containerd's CRI plugin sends the shim this options table as TOML in ConfigBody; dockerd sends none"
    ))
  }
  return findings
}

const runtimeTable = ({ runtime }: HandledRuntime): Record<string, TomlValue> => {
  const options = runtime.options === undefined
    ? undefined
    : goOptionsTable(runtime.options, (field) => field.kind !== "bytes")
  return { runtime_type: runtime.shim, ...(options === undefined ? {} : { options }) }
}

const translate = (layout: CriLayout) => (input: ExportInput): Translation => {
  const findings = input.runtimes.flatMap(({ runtime }) =>
    runtime.options === undefined ? [] : optionFindings(runtime.name, runtime.options)
  )
  if (input.defaultHandler === undefined) {
    findings.push(leftOut("default-runtime", `default runtime ${input.defaultRuntime} is not an exported runtime: no default_runtime_name`))
  }
  const containerd = {
    ...(input.defaultHandler === undefined ? {} : { default_runtime_name: input.defaultHandler }),
    runtimes: Object.fromEntries(input.runtimes.map((handled) => [handled.handler, runtimeTable(handled)]))
  }
  return { document: { version: layout.version, plugins: { [layout.plugin]: { containerd } } }, findings }
}

const target = (format: string, layout: CriLayout): ExportTarget => ({
  format,
  translate: translate(layout),
  render: (document) => stringify(document).trimEnd() + "\n",
  binariesToLocate: () => []
})

/** containerd 1.6 and 1.7. */
export const containerd = target("containerd", criV2)

/** containerd 2.x. */
export const containerdV3 = target("containerd-v3", criV3)

/* Import ------------------------------------------------------------------ */

/** The runtimeoptions fields the CRI plugin passes as they are; any other key travels inside ConfigBody. */
const passedOptions = new Set(["TypeUrl", "ConfigPath"])

/** A key of a runtime's table other than runtime_type and options, when set: daemon.json has nothing like it. */
const otherSettings = (table: TomlTable, at: ReadonlyArray<string>): ReadonlyArray<Finding> =>
  Object.keys(table).sort(compareBytes).flatMap((key) =>
    key === "runtime_type" || key === "options" || isEmptySetting(table[key])
      ? []
      : [leftOut(tomlPath([...at, key]), `containerd's ${key} has no daemon.json equivalent`)]
  )

/**
 * The options of a shim other than runc's and runhcs's: the fields dockerd
 * sends too, and a finding for each key the CRI plugin would pass to the
 * shim inside ConfigBody (the whole table, when ConfigPath is empty).
 */
const genericOptions = (options: Readonly<Record<string, unknown>>, at: ReadonlyArray<string>) => {
  const kept = Object.fromEntries(Object.entries(options).filter(([key]) => passedOptions.has(key)))
  const findings = Object.keys(options).sort(compareBytes).filter((key) => !passedOptions.has(key)).map((key) =>
    leftOut(tomlPath([...at, "options", key]), "containerd passes this to the shim inside ConfigBody (the options table as TOML); dockerd has no such option")
  )
  if (!options["ConfigPath"] && Object.keys(options).length > 0) {
    findings.push(differs(tomlPath([...at, "options"]), "without a ConfigPath containerd sends the shim this table in ConfigBody; dockerd will not"))
  }
  return { options: Object.keys(kept).length > 0 ? kept : undefined, findings }
}

/** An options table as JSON, each option holding a date or time (which JSON cannot) left out on its own. */
const optionsOf = (table: TomlTable, at: ReadonlyArray<string>) => {
  const findings: Array<Finding> = []
  const entries = Object.entries(table).flatMap(([key, value]) => {
    const json = jsonOfToml(value)
    if (json !== undefined) return [[key, json] as const]
    findings.push(leftOut(tomlPath([...at, key]), "dates and times have no JSON form: option left out"))
    return []
  })
  return { options: Object.fromEntries(entries) as Record<string, unknown>, findings }
}

const readRuntime = (root: TomlTable, at: ReadonlyArray<string>, reader: TomlReader) => {
  const handler = at[at.length - 1]!
  const table = reader.table(root, at)
  if (table === undefined) return { runtime: undefined, findings: [] }
  const runtimeType = reader.string(table, "runtime_type", at)
  const optionsTable = reader.table(root, [...at, "options"])
  const findings: Array<Finding> = [...otherSettings(table, at)]
  if (!runtimeType) {
    findings.push(leftOut(tomlPath(at), "no runtime_type: containerd cannot start this runtime"))
    return { runtime: undefined, findings }
  }
  const read = optionsTable === undefined ? undefined : optionsOf(optionsTable, [...at, "options"])
  const options = read?.options
  findings.push(...read?.findings ?? [])
  if (runtimeType === runcShimName) {
    return { runtime: { handler, path: tomlPath(at), launch: { _tag: "RuncShim" as const, options } }, findings }
  }
  const generic = options === undefined
    ? { options, findings: [] }
    : runtimeType === runhcsShimName
    ? { options: withEnumNames(RunhcsOptionsMessage, options), findings: [] }
    : genericOptions(options, at)
  return {
    runtime: { handler, path: tomlPath(at), launch: { _tag: "Shim" as const, runtimeType, options: generic.options } },
    findings: [...findings, ...generic.findings]
  }
}

/**
 * containerd has no cgroup driver of its own: each runc shim runtime says
 * whether it uses systemd (`SystemdCgroup`, false when unset). What `runc`
 * says is taken for the driver, as dockerd's runc follows the daemon's (the
 * export always writes a `runc`); other runtimes may differ from it on their
 * own, so without a runc shim `runc` the driver is not known.
 */
const cgroupDriverOf = (runtimes: ReadonlyArray<ForeignRuntime>): Located<CgroupDriver> | undefined => {
  const runc = runtimes.find(({ handler }) => handler === stockRuntimeName)
  if (runc?.launch._tag !== "RuncShim") return undefined
  return { value: runc.launch.options?.["SystemdCgroup"] === true ? "systemd" : "cgroupfs", path: `${runc.path}.options.SystemdCgroup` }
}

const read = (layout: CriLayout, format: string) => (root: TomlTable, reader: TomlReader): Foreign => {
  const base = ["plugins", layout.plugin, "containerd"]
  const version = root["version"]
  if (version !== undefined && version !== BigInt(layout.version)) {
    reader.problems.push(new Problem({
      path: "version",
      message: typeof version === "bigint"
        ? `${format} reads version = ${layout.version} files; this one is version = ${version}`
        : `expected an integer, got ${describeToml(version)}`
    }))
  }
  const cri = reader.table(root, base)
  if (cri === undefined && reader.problems.length === 0) {
    reader.problems.push(new Problem({ path: tomlPath(base), message: `no such table: not a ${format} CRI configuration` }))
  }
  const runtimes = cri === undefined ? undefined : reader.table(root, [...base, "runtimes"])
  const read = Object.keys(runtimes ?? {}).sort(compareBytes).map((handler) => readRuntime(root, [...base, "runtimes", handler], reader))
  const defaultName = cri === undefined ? undefined : reader.string(cri, "default_runtime_name", base)
  const foreignRuntimes = read.flatMap(({ runtime }) => runtime === undefined ? [] : [runtime])
  return {
    runtimes: foreignRuntimes,
    defaultHandler: defaultName ? { value: defaultName, path: tomlPath([...base, "default_runtime_name"]) } : undefined,
    cgroupDriver: cgroupDriverOf(foreignRuntimes),
    noPivotRoot: undefined,
    findings: read.flatMap(({ findings }) => findings)
  }
}

export const containerdSource: ImportSource = { format: "containerd", read: read(criV2, "containerd") }

export const containerdV3Source: ImportSource = { format: "containerd-v3", read: read(criV3, "containerd-v3") }
