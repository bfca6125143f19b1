/**
 * The doctor's verdicts: from a runtime table and the facts gathered about
 * the host (see `Doctor.ts`), whether each runtime can work, check by check.
 *
 * Pure. The facts are plain data gathered beforehand, in two steps:
 * `requirements` says which facts the checks need for a table, the effects
 * gather exactly those, and `diagnose` decides. Every decision and every
 * message is made here, so they are tested without a host.
 *
 * Each check has a fixed severity, which says what its failure means:
 * - `error`: containers using the runtime cannot start (the shim, the runtime
 *   binary, the wrapper script); such a failure makes the runtime not ok;
 * - `warning`: the runtime works, but not as configured, or dockerd cannot
 *   describe it (overridden runtimeArgs, a failed features probe);
 * - `info`: nothing dockerd minds (a configured name as a Kubernetes
 *   RuntimeClass handler).
 */
import { posix } from "node:path"
import { type ConfigWarning, configPath } from "../config/Problem.ts"
import { summariseFeatures } from "../features/Features.ts"
import { runcShimName, stockRuntimeName, stockRuntimeNames } from "../names/RuntimeName.ts"
import { type ResolvedRuntime, runtimeNamed, type RuntimeTable } from "../registry/RuntimeTable.ts"
import type { WrapperPlan } from "../wrappers/WrapperScript.ts"
import { type OverriddenArg, overriddenArgs } from "./OverriddenFlags.ts"
import { whyNotHandlerName } from "./RuntimeClassHandler.ts"
import { besideContainerd, shimSearch } from "./ShimSearch.ts"
import { compareBytes } from "../names/ByteOrder.ts"

/* Facts ------------------------------------------------------------------- */

/** What `PathLookup.lookPath` answered for a file: where it is, or why it cannot be run (Go's wording). */
export type Lookup =
  | { readonly _tag: "Found"; readonly path: string }
  | { readonly _tag: "NotFound"; readonly reason: string }

/** The containerd executable, resolved as `os.Executable` sees it (symbolic links followed). */
export type ContainerdLocation =
  | { readonly _tag: "Found"; readonly path: string }
  | { readonly _tag: "NotFound"; readonly reason: string }

/** One existing path, as `stat` sees it. */
export type PathFacts =
  | {
    readonly _tag: "Directory"
    readonly path: string
    /** Why it is not writable; `undefined` when it is. */
    readonly notWritable: string | undefined
  }
  | { readonly _tag: "NotDirectory"; readonly path: string; readonly type: string }
  | { readonly _tag: "Inaccessible"; readonly path: string; readonly reason: string }

/** The scripts directory, or when it is missing, the nearest existing directory above it. */
export interface ScriptsDirectoryFacts {
  readonly directory: string
  /** `directory` itself when it exists, else its nearest existing ancestor. */
  readonly nearest: PathFacts
}

/** What is at a wrapper script's path. */
export type ScriptFacts =
  | { readonly _tag: "Absent" }
  | {
    readonly _tag: "Present"
    readonly type: string
    readonly mode: number
    /** Read only for a regular file of the expected script's size; any other file differs anyway. */
    readonly content: string | undefined
  }
  | { readonly _tag: "Inaccessible"; readonly reason: string }

export interface Facts {
  readonly containerd: ContainerdLocation
  /** `lookPath` answers, by the file asked for. */
  readonly lookups: ReadonlyMap<string, Lookup>
  /** The paths of `Requirements.existence` that exist. */
  readonly existing: ReadonlySet<string>
  /** `undefined` when no runtime has a wrapper script. */
  readonly scriptsDirectory: ScriptsDirectoryFacts | undefined
  /** By script path. */
  readonly scripts: ReadonlyMap<string, ScriptFacts>
}

/* Verdicts ---------------------------------------------------------------- */

export type CheckName =
  | "shim"
  | "runtime-binary"
  | "wrapper-script"
  | "runtime-args"
  | "features"
  | "kubernetes-handler"

export type Severity = "error" | "warning" | "info"

/** What a failure of each check means (see the module comment). */
export const severityOf: { readonly [Name in CheckName]: Severity } = {
  shim: "error",
  "runtime-binary": "error",
  "wrapper-script": "error",
  "runtime-args": "warning",
  features: "warning",
  "kubernetes-handler": "info"
}

export interface Check {
  readonly check: CheckName
  readonly ok: boolean
  readonly severity: Severity
  readonly message: string
}

export interface RuntimeDiagnosis {
  readonly name: string
  /** No check of severity `error` failed: containers using the runtime can start. */
  readonly ok: boolean
  /** The checks that apply to the runtime, always in the order of `CheckName`. */
  readonly checks: ReadonlyArray<Check>
}

export interface Diagnosis {
  /** Every runtime is ok. */
  readonly ok: boolean
  readonly defaultRuntime: string
  /** The default runtime is ok: the one that decides the doctor's exit status. */
  readonly defaultOk: boolean
  readonly containerd: ContainerdLocation
  /** In name order. */
  readonly runtimes: ReadonlyArray<RuntimeDiagnosis>
  /** The table's warnings that no check reports (option keys, exec-opts), to show beside the checks. */
  readonly warnings: ReadonlyArray<ConfigWarning>
}

const check = (name: CheckName, ok: boolean, message: string): Check => ({
  check: name,
  ok,
  severity: severityOf[name],
  message
})

/* What is checked --------------------------------------------------------- */

/**
 * A runtime to check: every stock and configured one, and the default
 * runtime when it is not configured but a containerd runtime name dockerd
 * passes through (`runtime` is then `undefined` and `shim` is the name).
 */
interface Subject {
  readonly name: string
  readonly shim: string
  readonly runtime: ResolvedRuntime | undefined
}

const byName = (left: Subject, right: Subject) => compareBytes(left.name, right.name)

const subjectsOf = (table: RuntimeTable): ReadonlyArray<Subject> => {
  const subjects: Array<Subject> = table.runtimes.map((runtime) => ({ name: runtime.name, shim: runtime.shim, runtime }))
  if (runtimeNamed(table, table.defaultRuntime) === undefined) {
    subjects.push({ name: table.defaultRuntime, shim: table.defaultRuntime, runtime: undefined })
    subjects.sort(byName)
  }
  return subjects
}

/**
 * The OCI runtime binary the runc shim runs, as named in its options: a
 * `path` runtime's path (behind its wrapper script, if any), `BinaryName` of
 * an `io.containerd.runc.v2` runtime, else `runc`, which the shim runs from
 * PATH. `undefined` for other shims, which are runtimes in themselves.
 */
export const runtimeBinaryOf = (runtime: ResolvedRuntime): string | undefined => {
  switch (runtime.kind) {
    case "stock":
    case "path":
      return runtime.config.path ?? stockRuntimeName
    case "type":
      if (runtime.options?._tag === "RuncOptions") return runtime.options.value.binaryName || stockRuntimeName
      return runtime.shim === runcShimName ? stockRuntimeName : undefined
  }
}

/** What the checks of a table need to know about the host. */
export interface Requirements {
  /** Files to look up as `PathLookup.lookPath` does. */
  readonly lookups: ReadonlyArray<string>
  /** Paths whose mere existence matters: containerd takes a shim beside it if it exists. */
  readonly existence: ReadonlyArray<string>
  /** `undefined` when no runtime has a wrapper script. */
  readonly scriptsDirectory: string | undefined
  readonly scripts: ReadonlyArray<WrapperPlan>
}

export const requirements = (table: RuntimeTable, containerd: ContainerdLocation): Requirements => {
  const lookups = new Set<string>()
  const existence = new Set<string>()
  const scripts: Array<WrapperPlan> = []
  for (const { runtime, shim } of subjectsOf(table)) {
    const search = shimSearch(shim)
    if (search._tag === "Path") lookups.add(search.path)
    if (search._tag === "ByName") {
      lookups.add(search.binary)
      if (containerd._tag === "Found") {
        const beside = besideContainerd(containerd.path, search.binary)
        lookups.add(beside)
        existence.add(beside)
      }
    }
    const binary = runtime === undefined ? undefined : runtimeBinaryOf(runtime)
    if (binary !== undefined) lookups.add(binary)
    if (runtime?.wrapper !== undefined) scripts.push(runtime.wrapper)
  }
  return {
    lookups: [...lookups],
    existence: [...existence],
    // Every script lives in the one scripts directory.
    scriptsDirectory: scripts[0] === undefined ? undefined : posix.dirname(scripts[0].path),
    scripts
  }
}

/* The checks -------------------------------------------------------------- */

const lookupOf = (facts: Facts, file: string): Lookup =>
  facts.lookups.get(file) ?? { _tag: "NotFound", reason: `${file} was not looked up` }

const shimCheck = (shim: string, facts: Facts): Check => {
  const search = shimSearch(shim)
  switch (search._tag) {
    case "Invalid":
      return check("shim", false, `containerd refuses the runtime name ${JSON.stringify(shim)}: ${search.reason}`)
    case "Path": {
      const lookup = lookupOf(facts, search.path)
      return lookup._tag === "Found"
        ? check("shim", true, `${search.path} is executable`)
        : check("shim", false, `containerd cannot start the shim ${search.path}: ${lookup.reason}`)
    }
    case "ByName": {
      const { binary } = search
      const onPath = lookupOf(facts, binary)
      if (onPath._tag === "Found") return check("shim", true, `${binary} found on PATH: ${onPath.path}`)
      if (facts.containerd._tag === "NotFound") {
        return check(
          "shim",
          false,
          `${binary} not found on PATH; containerd itself was not found (${facts.containerd.reason}), so not beside it either`
        )
      }
      const beside = besideContainerd(facts.containerd.path, binary)
      const there = lookupOf(facts, beside)
      if (there._tag === "Found") return check("shim", true, `${binary} found beside containerd: ${beside}`)
      return facts.existing.has(beside)
        ? check("shim", false, `${binary} is not on PATH, and containerd would run ${beside}, which fails: ${there.reason}`)
        : check("shim", false, `${binary} not found on PATH or beside ${facts.containerd.path}`)
    }
  }
}

const runtimeBinaryCheck = (runtime: ResolvedRuntime | undefined, facts: Facts): ReadonlyArray<Check> => {
  const binary = runtime === undefined ? undefined : runtimeBinaryOf(runtime)
  if (binary === undefined) return []
  const lookup = lookupOf(facts, binary)
  if (lookup._tag === "NotFound") {
    return [check("runtime-binary", false, `containers would fail to start: ${lookup.reason}`)]
  }
  return [
    check("runtime-binary", true, binary.includes("/") ? `${binary} is executable` : `${binary} found on PATH: ${lookup.path}`)
  ]
}

/** Why no script can be written into the scripts directory, or `undefined` when one can. */
const whyNotWritable = ({ directory, nearest }: ScriptsDirectoryFacts): string | undefined => {
  const exists = nearest.path === directory
  switch (nearest._tag) {
    case "Directory":
      if (nearest.notWritable === undefined) return undefined
      return exists
        ? `${directory} is not writable: ${nearest.notWritable}`
        : `${directory} cannot be created: ${nearest.path} is not writable: ${nearest.notWritable}`
    case "NotDirectory":
      return exists
        ? `${directory} exists and is a ${nearest.type}, not a directory`
        : `${directory} cannot be created: ${nearest.path} is a ${nearest.type}, not a directory`
    case "Inaccessible":
      return `${nearest.path}: ${nearest.reason}`
  }
}

const wrapperCheck = (runtime: ResolvedRuntime | undefined, facts: Facts): ReadonlyArray<Check> => {
  const plan = runtime?.wrapper
  if (plan === undefined) return []
  const script = facts.scripts.get(plan.path) ?? { _tag: "Inaccessible", reason: "not examined" }
  switch (script._tag) {
    case "Absent": {
      const directory = facts.scriptsDirectory
      const why = directory === undefined ? "the scripts directory was not examined" : whyNotWritable(directory)
      if (why !== undefined) return [check("wrapper-script", false, `${plan.path} cannot be written: ${why}`)]
      const creating = directory !== undefined && directory.nearest.path !== directory.directory
      return [
        check("wrapper-script", true, `would be written to ${plan.path}${creating ? ` (creating ${directory.directory})` : ""}`)
      ]
    }
    case "Inaccessible":
      return [check("wrapper-script", false, `${plan.path}: ${script.reason}`)]
    case "Present":
      if (script.type !== "File") {
        return [check("wrapper-script", false, `${plan.path} exists and is a ${script.type}, not a script`)]
      }
      if (script.content !== plan.content) {
        return [
          check(
            "wrapper-script",
            false,
            `${plan.path} exists but does not hold the script it should: a reload would keep it (scripts are never ` +
              "rewritten) and a restart replaces it; remove it before a reload"
          )
        ]
      }
      if ((script.mode & 0o100) === 0) {
        const mode = (script.mode & 0o7777).toString(8).padStart(4, "0")
        return [
          check("wrapper-script", false, `${plan.path} is not executable by its owner (mode ${mode}): the shim cannot run it`)
        ]
      }
      return [check("wrapper-script", true, `${plan.path} is in place, as it should be`)]
  }
}

/** The `Root` the shim gets, under which runc keeps its state (per containerd namespace). */
const shimRoot = (runtime: ResolvedRuntime): string | undefined =>
  runtime.options?._tag === "RuncOptions" ? runtime.options.value.root : undefined

const describeOverridden = (runtime: ResolvedRuntime, arg: OverriddenArg, argCount: number): string => {
  const written = `runtimeArgs[${arg.index}] --${arg.flag}${arg.value === undefined ? "" : ` ${arg.value}`}`
  switch (arg.flag) {
    case "root": {
      const replacement = JSON.stringify({
        runtimeType: runcShimName,
        options: { BinaryName: runtime.config.path ?? stockRuntimeName, Root: arg.value ?? "DIR" }
      })
      const others = argCount > arg.span
      const root = shimRoot(runtime)
      return `${written} never takes effect: the runc shim passes its own --root after it (moby/moby#37730)` +
        `${root === undefined ? "" : `, so runc keeps its state under ${root}`}; ` +
        `to choose runc's root, configure the runtime as ${replacement} instead` +
        (others ? " (a runtimeType runtime takes no runtimeArgs: its other arguments cannot come along)" : "")
    }
    case "log":
      return `${written} never takes effect: the runc shim passes its own --log after it, the container bundle's ` +
        "log.json, from which it reads runc's errors; remove it (each container's runc log is its bundle's log.json)"
    case "log-format":
      return `${written} never takes effect: the runc shim passes --log-format json after it, as it parses that ` +
        "log; remove it"
  }
}

const runtimeArgsCheck = (runtime: ResolvedRuntime | undefined): ReadonlyArray<Check> => {
  const args = runtime?.kind === "path" ? runtime.config.runtimeArgs ?? [] : []
  if (runtime === undefined || args.length === 0) return []
  const overridden = overriddenArgs(args)
  if (overridden.length === 0) return [check("runtime-args", true, "no runtimeArg is one the runc shim overrides")]
  return [check("runtime-args", false, overridden.map((arg) => describeOverridden(runtime, arg, args.length)).join("; "))]
}

/** Whether a warning's path (the runtimes sharing a probe, comma-separated) names `place`. */
const mentions = (path: string, place: string): boolean =>
  path === place || path.startsWith(`${place}, `) || path.endsWith(`, ${place}`) || path.includes(`, ${place}, `)

/** The failed probe's warning for a runtime, as setup put it on the table. */
const probeWarningOf = (table: RuntimeTable, runtime: ResolvedRuntime): ConfigWarning | undefined => {
  if (runtime.featuresArgv === undefined) return undefined
  const place = configPath(["runtimes", runtime.name])
  return table.warnings.find((warning) => mentions(warning.path, place))
}

const featuresCheck = (table: RuntimeTable, runtime: ResolvedRuntime | undefined): ReadonlyArray<Check> => {
  if (runtime?.featuresArgv === undefined) return []
  const command = [...runtime.featuresArgv, "features"].join(" ")
  if (runtime.features !== undefined) {
    return [check("features", true, `${command}: ${summariseFeatures(runtime.features)}`)]
  }
  const warning = probeWarningOf(table, runtime)
  return [
    check(
      "features",
      false,
      `${warning?.message ?? `${command} was not run`}; dockerd carries on without knowing its features`
    )
  ]
}

/**
 * For the names the administrator chose only: the stock ones are dockerd's,
 * there on every host, and a finding against `io.containerd.runc.v2` on every
 * run would be noise about nothing configured.
 */
const handlerCheck = (name: string): ReadonlyArray<Check> => {
  if (stockRuntimeNames.includes(name)) return []
  const why = whyNotHandlerName(name)
  return [
    why === undefined
      ? check("kubernetes-handler", true, "usable as a Kubernetes RuntimeClass handler")
      : check(
        "kubernetes-handler",
        false,
        `not usable as a Kubernetes RuntimeClass handler: ${why} (a handler is a DNS label: up to 63 of a-z, 0-9 ` +
          "and '-', a letter or digit at each end)"
      )
  ]
}

const diagnoseSubject = (table: RuntimeTable, facts: Facts, { name, runtime, shim }: Subject): RuntimeDiagnosis => {
  const checks = [
    shimCheck(shim, facts),
    ...runtimeBinaryCheck(runtime, facts),
    ...wrapperCheck(runtime, facts),
    ...runtimeArgsCheck(runtime),
    ...featuresCheck(table, runtime),
    ...handlerCheck(name)
  ]
  return { name, ok: checks.every((item) => item.ok || item.severity !== "error"), checks }
}

/** Every runtime's verdict. */
export const diagnose = (table: RuntimeTable, facts: Facts): Diagnosis => {
  const runtimes = subjectsOf(table).map((subject) => diagnoseSubject(table, facts, subject))
  const reported = new Set(
    table.runtimes.flatMap((runtime) => runtime.features === undefined ? [probeWarningOf(table, runtime)] : [])
  )
  return {
    ok: runtimes.every((runtime) => runtime.ok),
    defaultRuntime: table.defaultRuntime,
    defaultOk: runtimes.find((runtime) => runtime.name === table.defaultRuntime)?.ok ?? false,
    containerd: facts.containerd,
    runtimes,
    warnings: table.warnings.filter((warning) => !reported.has(warning))
  }
}
