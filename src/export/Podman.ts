/**
 * Podman: a containers.conf drop-in (`/etc/containers/containers.conf.d/`,
 * or any file `CONTAINERS_CONF` names) listing every runtime under its
 * handler in `[engine.runtimes]` (`NAME = ["PATH"]`, the paths Podman tries
 * in order) and the default in `[engine] runtime`.
 *
 * Podman starts runc-compatible binaries itself, through conmon: a runtime
 * with a containerd shim of its own cannot run under Podman and is left
 * out. Podman keeps each runtime's state in its own run root, so the Root
 * dockerd gives runc is not carried; the cgroup manager and pivot_root are
 * set once for every runtime (`cgroup_manager`, `no_pivot_root`), to the
 * node's.
 *
 * Pure.
 */
import { stringify } from "smol-toml"
import { configPath, Problem } from "../config/Problem.ts"
import { compareBytes } from "../names/ByteOrder.ts"
import type { ResolvedRuntime } from "../registry/RuntimeTable.ts"
import { differs, type Finding, leftOut } from "./Finding.ts"
import type { HandledRuntime } from "./Handlers.ts"
import { type Foreign, type ImportSource, readCgroupDriver } from "./Import.ts"
import { absoluteBinary, launchOf, type RuncCarried, runcOptionFindings } from "./RuncCompatible.ts"
import type { ExportInput, ExportTarget, Translation } from "./Target.ts"
import { tomlPath, type TomlReader, type TomlTable } from "./TomlShape.ts"

const target = "Podman"

const carried: RuncCarried = {
  target,
  perRuntime: new Set(),
  cgroupSetting: "cgroup_manager",
  noPivotSetting: "no_pivot_root"
}

const runtimePaths = ({ runtime }: HandledRuntime, input: ExportInput) => {
  const launch = launchOf(runtime)
  if (launch._tag === "Shim") {
    return {
      paths: undefined,
      findings: [leftOut(
        configPath(["runtimes", runtime.name]),
        `Podman runs runc-compatible binaries only, not the containerd shim ${launch.shim}`
      )]
    }
  }
  const binary = absoluteBinary(runtime, launch.binary, target, input.locate)
  return {
    paths: [binary.path],
    findings: [...binary.findings, ...runcOptionFindings(runtime, launch.options, input.stock, carried)]
  }
}

const translate = (input: ExportInput): Translation => {
  const findings: Array<Finding> = []
  const runtimes: Record<string, ReadonlyArray<string>> = {}
  for (const handled of input.runtimes) {
    const entry = runtimePaths(handled, input)
    findings.push(...entry.findings)
    if (entry.paths !== undefined) runtimes[handled.handler] = entry.paths
  }
  const defaultExported = input.defaultHandler !== undefined && Object.hasOwn(runtimes, input.defaultHandler)
  if (!defaultExported) {
    findings.push(leftOut("default-runtime", `default runtime ${input.defaultRuntime} is not exported: no [engine] runtime`))
  }
  const engine = {
    cgroup_manager: input.cgroupDriver,
    no_pivot_root: input.stock.noPivotRoot,
    ...(defaultExported ? { runtime: input.defaultHandler } : {}),
    runtimes
  }
  return { document: { engine }, findings }
}

const binariesToLocate = (runtimes: ReadonlyArray<ResolvedRuntime>): ReadonlyArray<string> =>
  runtimes.flatMap((runtime) => {
    const launch = launchOf(runtime)
    return launch._tag === "Binary" && !launch.binary.includes("/") ? [launch.binary] : []
  })

export const podman: ExportTarget = {
  format: "podman",
  translate,
  render: (document) => stringify(document).trimEnd() + "\n",
  binariesToLocate
}

/* Import ------------------------------------------------------------------ */

const readPaths = (runtimes: TomlTable, handler: string, at: ReadonlyArray<string>, reader: TomlReader) => {
  const paths = reader.strings(runtimes, handler, at)
  const path = tomlPath([...at, handler])
  if (paths === undefined) return { runtime: undefined, findings: [] }
  if (paths.length === 0) return { runtime: undefined, findings: [leftOut(path, "no path: Podman cannot run this runtime")] }
  const findings = paths.length > 1
    ? [differs(path, `Podman runs the first of these paths that exists; daemon.json takes one: ${paths[0]}`)]
    : []
  return { runtime: { handler, path, launch: { _tag: "Binary" as const, binary: paths[0]!, root: undefined } }, findings }
}

const read = (root: TomlTable, reader: TomlReader): Foreign => {
  const engine = reader.table(root, ["engine"])
  if (engine === undefined) {
    if (reader.problems.length === 0) reader.problems.push(new Problem({ path: "engine", message: "no such table: not a containers.conf" }))
    return { runtimes: [], defaultHandler: undefined, cgroupDriver: undefined, noPivotRoot: undefined, findings: [] }
  }
  const runtimes = reader.table(root, ["engine", "runtimes"]) ?? {}
  const read = Object.keys(runtimes).sort(compareBytes).map((handler) => readPaths(runtimes, handler, ["engine", "runtimes"], reader))
  const cgroup = readCgroupDriver(engine, ["engine"], reader)
  const defaultName = reader.string(engine, "runtime", ["engine"])
  const noPivot = reader.boolean(engine, "no_pivot_root", ["engine"])
  return {
    runtimes: read.flatMap(({ runtime }) => runtime === undefined ? [] : [runtime]),
    defaultHandler: defaultName ? { value: defaultName, path: "engine.runtime" } : undefined,
    cgroupDriver: cgroup.driver,
    noPivotRoot: noPivot === undefined ? undefined : { value: noPivot, path: "engine.no_pivot_root" },
    findings: [...read.flatMap(({ findings }) => findings), ...cgroup.findings]
  }
}

export const podmanSource: ImportSource = { format: "podman", read }
