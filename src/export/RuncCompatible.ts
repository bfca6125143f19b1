/**
 * For targets that run runc-compatible binaries themselves (CRI-O's `oci`
 * runtimes, Podman): how a runtime of the table is started — a binary
 * behind the runc shim, or a shim of its own — and what of its runc
 * options such a target cannot keep.
 *
 * These targets take runc's settings once for every runtime (the cgroup
 * manager, no pivot_root) and have no field for most of the runc shim's
 * options, so each option that would be lost or overridden is a finding.
 *
 * Pure.
 */
import { configPath } from "../config/Problem.ts"
import { runcShimName, stockRuntimeName } from "../names/RuntimeName.ts"
import type { RuncOptions } from "../options/RuncOptions.ts"
import { RuncOptionsMessage } from "../options/RuncOptions.ts"
import type { ShimOptions } from "../options/ShimOptions.ts"
import type { ResolvedRuntime } from "../registry/RuntimeTable.ts"
import { differs, type Finding, leftOut } from "./Finding.ts"
import type { StockRunc } from "./Target.ts"

export type Launch =
  /** A runc-compatible binary (or the wrapper script that passes its runtimeArgs) behind the runc shim. */
  | { readonly _tag: "Binary"; readonly binary: string; readonly options: RuncOptions }
  /** A containerd shim v2 of its own. */
  | { readonly _tag: "Shim"; readonly shim: string; readonly options: ShimOptions | undefined }

/** The runc shim starts `BinaryName`, or `runc` when none is set. */
export const launchOf = (runtime: ResolvedRuntime): Launch =>
  runtime.shim === runcShimName && (runtime.options === undefined || runtime.options._tag === "RuncOptions")
    ? { _tag: "Binary", binary: runtime.options?.value.binaryName || stockRuntimeName, options: runtime.options?.value ?? {} }
    : { _tag: "Shim", shim: runtime.shim, options: runtime.options }

/** Where a runtime's binary was configured: its `path`, or the `BinaryName` option, or the stock runtime. */
export const binaryPath = (runtime: ResolvedRuntime): string =>
  runtime.kind === "path"
    ? configPath(["runtimes", runtime.name, "path"])
    : runtime.kind === "type"
    ? configPath(["runtimes", runtime.name, "options", "BinaryName"])
    : configPath(["runtimes", runtime.name])

/**
 * The binary as an absolute path, as these targets want it: a bare name is
 * looked up on PATH (`locate`); one that is not found, or a relative path,
 * is kept, with a warning.
 */
export const absoluteBinary = (
  runtime: ResolvedRuntime,
  binary: string,
  target: string,
  locate: (binary: string) => string | undefined
): { readonly path: string; readonly findings: ReadonlyArray<Finding> } => {
  if (binary.startsWith("/")) return { path: binary, findings: [] }
  if (binary.includes("/")) {
    return {
      path: binary,
      findings: [differs(binaryPath(runtime), `${binary} is a relative path; ${target} wants an absolute one, written as ${binary}`)]
    }
  }
  const located = locate(binary)
  return located === undefined
    ? { path: binary, findings: [differs(binaryPath(runtime), `${binary} is not on PATH here; ${target} wants an absolute path, written as ${binary}`)] }
    : { path: located, findings: [] }
}

/** The per-runtime settings a target keeps, by Go name; the rest are its global ones or lost. */
export interface RuncCarried {
  readonly target: string
  /** Go names of runc options the target has a per-runtime field for. */
  readonly perRuntime: ReadonlySet<string>
  /** How the target's global settings are written, for messages: `cgroup_manager`, `no_pivot`. */
  readonly cgroupSetting: string
  readonly noPivotSetting: string
}

const handledElsewhere = new Set(["BinaryName", "SystemdCgroup", "NoPivotRoot"])

/**
 * What is lost of a runtime's runc options: options with no field in the
 * target, and the cgroup driver and pivot_root choice where they differ
 * from the target's global ones (which are the node's, `stock`). The Root
 * dockerd gives every runc-compatible runtime is the node's too: only a
 * Root set by hand counts.
 */
export const runcOptionFindings = (
  runtime: ResolvedRuntime,
  options: RuncOptions,
  stock: StockRunc,
  carried: RuncCarried
): ReadonlyArray<Finding> => {
  const at = (goName: string) => configPath(["runtimes", runtime.name, "options", goName])
  const value = options as Readonly<Record<string, unknown>>
  const findings: Array<Finding> = []
  for (const field of RuncOptionsMessage.fields) {
    if (value[field.jsonName] === undefined || handledElsewhere.has(field.goName) || carried.perRuntime.has(field.goName)) {
      continue
    }
    if (field.goName === "Root" && runtime.kind !== "type") continue
    findings.push(leftOut(at(field.goName), `${carried.target} has no per-runtime setting for the runc shim's ${field.goName}`))
  }
  const systemdCgroup = options.systemdCgroup ?? false
  if (systemdCgroup !== stock.systemdCgroup) {
    findings.push(differs(
      at("SystemdCgroup"),
      `${carried.target} uses one cgroup manager for every runtime (${carried.cgroupSetting} = ${
        stock.systemdCgroup ? "systemd" : "cgroupfs"
      }, the node's): this runtime's SystemdCgroup = ${systemdCgroup} does not carry over`
    ))
  }
  const noPivotRoot = options.noPivotRoot ?? false
  if (noPivotRoot !== stock.noPivotRoot) {
    findings.push(differs(
      at("NoPivotRoot"),
      `${carried.target} sets pivot_root for every runtime (${carried.noPivotSetting} = ${stock.noPivotRoot}, the node's): ` +
        `this runtime's NoPivotRoot = ${noPivotRoot} does not carry over`
    ))
  }
  return findings
}
