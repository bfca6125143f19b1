/**
 * The pure heart of runtime setup: from a decoded configuration and the host's
 * facts to the complete table of runtimes — which shim each name starts, with
 * which options, which wrapper scripts must exist, which binaries to ask for
 * their features — or every problem with the configuration at once.
 *
 * Nothing here touches the host. The effects (writing scripts, probing
 * features, the pre-flight lookup) are carried out by `Setup` and `Registry`
 * from what this module decides, so the decision can be tested, and shown by
 * the CLI, without writing a byte.
 */
import { posix } from "node:path"
import * as Result from "effect/Result"
import type { DaemonConfig, RuntimeConfig } from "../config/DaemonConfig.ts"
import { InvalidRuntimeConfig } from "../config/Errors.ts"
import { cgroupDriverOption, execOptProblems, execOptWarnings } from "../config/ExecOpts.ts"
import { ConfigWarning, configPath, excerpt, Problem } from "../config/Problem.ts"
import type { HostSnapshot } from "../host/HostFacts.ts"
import {
  isPermissibleContainerdRuntimeName,
  runcShimName,
  stockRuntimeName,
  stockRuntimeNames
} from "../names/RuntimeName.ts"
import { generateShimOptions, runcOptions, type ShimOptions } from "../options/ShimOptions.ts"
import { planWrapper, scriptsDirectory, type WrapperPlan } from "../wrappers/WrapperScript.ts"
import { compareBytes } from "../names/ByteOrder.ts"

/** How a runtime came to be: built in, a runc-compatible binary, or a shim of its own. */
export type RuntimeKind = "stock" | "path" | "type"

export type CgroupDriver = "cgroupfs" | "systemd"

export interface PlannedRuntime {
  readonly name: string
  readonly kind: RuntimeKind
  /** The containerd runtime (shim) to start. */
  readonly shim: string
  /** The shim's options; `undefined` means none at all are sent, as in dockerd. */
  readonly options: ShimOptions | undefined
  /** The configuration as written (for stock runtimes, `{ path: "runc" }`), for listings. */
  readonly config: RuntimeConfig
  /** For runc-compatible runtimes: the argv that, followed by `features`, describes it. */
  readonly featuresArgv: ReadonlyArray<string> | undefined
  /** The script that passes `runtimeArgs`, when the runtime has any. */
  readonly wrapper: WrapperPlan | undefined
  /**
   * The runtime binary behind a wrapper script. The script keeps working after
   * the binary is removed only to fail obscurely inside the shim, so every use
   * of such a runtime first checks that this path still resolves.
   */
  readonly preflightPath: string | undefined
}

export interface RuntimePlan {
  /** The name used when a container asks for no runtime in particular. */
  readonly defaultRuntime: string
  readonly cgroupDriver: CgroupDriver
  /** Where wrapper scripts live: `<data-root>/runtimes`. */
  readonly scriptsDirectory: string
  /** Every runtime, stock ones included, sorted by name. */
  readonly runtimes: ReadonlyArray<PlannedRuntime>
  /** Accepted but most likely mistakes: exec-opts Linux ignores, then option keys by runtime name. */
  readonly warnings: ReadonlyArray<ConfigWarning>
}

/**
 * runc through the runc shim, as dockerd configures it for the stock names and
 * for every `path` runtime. Root is the same for all of them (dockerd's
 * choice): runc-compatible runtimes share one state directory layout.
 */
const runcCompatible = (config: DaemonConfig, host: HostSnapshot, systemdCgroup: boolean, binaryName: string) =>
  runcOptions({
    binaryName,
    root: posix.join(config.execRoot, `runtime-${stockRuntimeName}`),
    systemdCgroup,
    noPivotRoot: host.ramdisk
  })

/**
 * Whether runc should manage cgroups through systemd: when asked to with
 * `native.cgroupdriver=systemd`, or by default on a cgroup v2 host booted with
 * systemd.
 */
const usesSystemdCgroups = (config: DaemonConfig, host: HostSnapshot): boolean => {
  const driver = cgroupDriverOption(config.execOpts)
  return driver === undefined ? host.cgroupV2 && host.systemdBooted : driver === "systemd"
}

const stockRuntime = (name: string, options: ShimOptions): PlannedRuntime => ({
  name,
  kind: "stock",
  shim: runcShimName,
  options,
  config: { path: stockRuntimeName },
  featuresArgv: [stockRuntimeName],
  wrapper: undefined,
  preflightPath: undefined
})

const problemFor = (name: string, field: string | undefined, message: string) =>
  new Problem({
    path: configPath(field === undefined ? ["runtimes", name] : ["runtimes", name, field]),
    message: `runtime ${name}: ${message}`
  })

const hasEntries = (options: RuntimeConfig["options"]): options is Readonly<Record<string, unknown>> =>
  options !== undefined && Object.keys(options).length > 0

/**
 * Why a word cannot go on a command line as it is, if it cannot. No word can
 * hold a NUL: the runtime would receive it cut short (or, through a wrapper
 * script, not at all). A lone UTF-16 surrogate has no UTF-8 form: it would
 * reach the script and the runtime as U+FFFD, a different word.
 */
const unpassable = (word: string): string | undefined =>
  word.includes("\0") ? "a NUL character" : loneSurrogate.test(word) ? "a lone surrogate (not valid Unicode)" : undefined

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * A name to look up on PATH that starts with `-`. A wrapper script cannot
 * exec one: bash and busybox sh read it as an option, and dash has no
 * `exec --`; a path with a `/` gets `./` in front instead (`WrapperScript`).
 */
const isDashLedBareName = (path: string): boolean => path.startsWith("-") && !path.includes("/")

/** Words that would not reach the runtime as written are refused rather than passed on altered. */
const wordProblems = (name: string, path: string, args: ReadonlyArray<string>): Array<Problem> => {
  const problems: Array<Problem> = []
  const inPath = unpassable(path)
  if (inPath !== undefined) problems.push(problemFor(name, "path", `path cannot contain ${inPath}`))
  args.forEach((arg, index) => {
    const inArg = unpassable(arg)
    if (inArg !== undefined) {
      problems.push(new Problem({
        path: configPath(["runtimes", name, "runtimeArgs", index]),
        message: `runtime ${name}: runtimeArgs cannot contain ${inArg}`
      }))
    }
  })
  return problems
}

/** A configured runtime's plan, and what was found suspicious about it; or every problem with it. */
type RuntimeOutcome = Result.Result<
  { readonly runtime: PlannedRuntime; readonly warnings: ReadonlyArray<ConfigWarning> },
  ReadonlyArray<Problem>
>

const refuse = (problem: Problem): RuntimeOutcome => Result.fail([problem])

/**
 * A runtime with a shim of its own (`runtimeType`): no args (the shim takes
 * none from dockerd), and its options decoded for that shim. No options at
 * all means none are sent, as in dockerd.
 */
const planTypeRuntime = (name: string, runtime: RuntimeConfig, runtimeType: string): RuntimeOutcome => {
  if ((runtime.runtimeArgs ?? []).length > 0) {
    return refuse(problemFor(name, "runtimeArgs", "args cannot be used with a runtimeType runtime"))
  }
  const planned = (options: ShimOptions | undefined): PlannedRuntime => ({
    name,
    kind: "type",
    shim: runtimeType,
    options,
    config: runtime,
    featuresArgv: undefined,
    wrapper: undefined,
    preflightPath: undefined
  })
  if (!hasEntries(runtime.options)) return Result.succeed({ runtime: planned(undefined), warnings: [] })
  return Result.map(
    generateShimOptions(name, runtimeType, runtime.options),
    (generated) => ({ runtime: planned(generated.options), warnings: generated.warnings })
  )
}

/**
 * A runc-compatible runtime (`path`) behind the runc shim: no options (the
 * shim's are dockerd's), every word passable, and a wrapper script when it
 * has args.
 */
const planPathRuntime = (
  name: string,
  runtime: RuntimeConfig,
  path: string,
  options: { readonly scriptsDirectory: string; readonly runcFor: (binary: string) => ShimOptions }
): RuntimeOutcome => {
  const args = runtime.runtimeArgs ?? []
  if (hasEntries(runtime.options)) return refuse(problemFor(name, "options", "options cannot be used with a path runtime"))
  const badWords = wordProblems(name, path, args)
  if (badWords.length > 0) return Result.fail(badWords)
  if (args.length > 0 && isDashLedBareName(path)) {
    return refuse(problemFor(
      name,
      "path",
      `a runtime with runtimeArgs runs through a wrapper script, whose exec would read ${JSON.stringify(excerpt(path))} ` +
        "as an option (no sh takes exec --): give the binary's full path"
    ))
  }
  const wrapper = args.length > 0 ? planWrapper(options.scriptsDirectory, name, path, args) : undefined
  return Result.succeed({
    warnings: [],
    runtime: {
      name,
      kind: "path",
      shim: runcShimName,
      options: options.runcFor(wrapper?.path ?? path),
      config: runtime,
      featuresArgv: [path, ...args],
      wrapper,
      preflightPath: wrapper === undefined ? undefined : path
    }
  })
}

/** One configured runtime: exactly one of path and runtimeType, then the first of dockerd's rules that it breaks. */
const planConfiguredRuntime = (
  name: string,
  runtime: RuntimeConfig,
  options: { readonly scriptsDirectory: string; readonly runcFor: (binary: string) => ShimOptions }
): RuntimeOutcome => {
  const path = runtime.path ?? ""
  const runtimeType = runtime.runtimeType ?? ""
  if (path === "" && runtimeType === "") {
    return refuse(problemFor(name, undefined, "either a runtimeType or a path must be configured"))
  }
  if (path !== "" && runtimeType !== "") {
    return refuse(problemFor(name, undefined, "cannot configure both path and runtimeType for the same runtime"))
  }
  return path === "" ? planTypeRuntime(name, runtime, runtimeType) : planPathRuntime(name, runtime, path, options)
}


/** The default runtime's name, or the problem with it. An empty name means `runc`. */
const chooseDefaultRuntime = (config: DaemonConfig): Result.Result<string, Problem> => {
  const requested = config.defaultRuntime
  if (requested === "") return Result.succeed(stockRuntimeName)
  const known = stockRuntimeNames.includes(requested) || Object.hasOwn(config.runtimes, requested)
  return known || isPermissibleContainerdRuntimeName(requested)
    ? Result.succeed(requested)
    : Result.fail(
      new Problem({ path: "default-runtime", message: `specified default runtime '${requested}' does not exist` })
    )
}

/**
 * The data and exec roots must be absolute. Relative ones would be resolved
 * against whatever directory the daemon runs in — the scripts directory that
 * boot wipes, and the `Root` and `BinaryName` handed to the shim, which
 * resolves them against its own working directory.
 */
const rootProblems = (config: DaemonConfig): Array<Problem> =>
  ([["data-root", config.dataRoot], ["exec-root", config.execRoot]] as const).flatMap(([key, path]) =>
    path.startsWith("/")
      ? []
      : [new Problem({ path: key, message: `${key} must be an absolute path: ${JSON.stringify(path)}` })]
  )

export interface PlanOptions {
  /**
   * Problems found before planning, reported first (the dockerd flags':
   * `applyFlags(…).problems`, with `config` the flags applied as far as they
   * could be). Any at all fail the plan, together with the configuration's own.
   */
  readonly upstreamProblems?: ReadonlyArray<Problem> | undefined
}

/**
 * Validates the whole configuration and decides every runtime, collecting all
 * problems instead of stopping at the first (dockerd stops at the first one
 * it meets in Go's random map order, so fixing a file took several restarts).
 */
export const planRuntimes = (
  config: DaemonConfig,
  host: HostSnapshot,
  options: PlanOptions = {}
): Result.Result<RuntimePlan, InvalidRuntimeConfig> => {
  const problems: Array<Problem> = [
    ...(options.upstreamProblems ?? []),
    ...rootProblems(config),
    ...execOptProblems(config.execOpts)
  ]
  // exec-opts Linux ignores are accepted, as dockerd does, but never silently.
  const warnings: Array<ConfigWarning> = [...execOptWarnings(config.execOpts)]
  const systemdCgroup = usesSystemdCgroups(config, host)
  const runcFor = (binary: string) => runcCompatible(config, host, systemdCgroup, binary)
  const directory = scriptsDirectory(config.dataRoot)

  if (Object.hasOwn(config.runtimes, stockRuntimeName)) {
    const path = configPath(["runtimes", stockRuntimeName])
    problems.push(new Problem({ path, message: `runtime name '${stockRuntimeName}' is reserved` }))
  }

  const planned = new Map<string, PlannedRuntime>()
  for (const name of stockRuntimeNames) planned.set(name, stockRuntime(name, runcFor(stockRuntimeName)))

  const configuredNames = Object.keys(config.runtimes).filter((name) => name !== stockRuntimeName).sort(compareBytes)
  for (const name of configuredNames) {
    const outcome = planConfiguredRuntime(name, config.runtimes[name]!, { scriptsDirectory: directory, runcFor })
    if (Result.isSuccess(outcome)) {
      planned.set(name, outcome.success.runtime)
      // One by one: spreading a huge list into `push` overflows the call stack.
      for (const warning of outcome.success.warnings) warnings.push(warning)
    } else {
      for (const problem of outcome.failure) problems.push(problem)
    }
  }

  const defaultRuntime = chooseDefaultRuntime(config)
  if (Result.isFailure(defaultRuntime)) problems.push(defaultRuntime.failure)

  if (Result.isFailure(defaultRuntime) || problems.length > 0) {
    return Result.fail(new InvalidRuntimeConfig({ problems, warnings }))
  }
  return Result.succeed({
    defaultRuntime: defaultRuntime.success,
    cgroupDriver: systemdCgroup ? "systemd" : "cgroupfs",
    scriptsDirectory: directory,
    runtimes: [...planned.values()].sort((left, right) => compareBytes(left.name, right.name)),
    warnings
  })
}
