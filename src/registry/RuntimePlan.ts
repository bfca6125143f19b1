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
import * as Schema from "effect/Schema"
import type { DaemonConfig, RuntimeConfig } from "../config/DaemonConfig.ts"
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
 * The configuration cannot be set up. Carries every problem found, in a
 * fixed order: data-root and exec-root, exec-opts, then the reserved name,
 * then each runtime by name, then the default runtime; the message is one
 * line per problem.
 *
 * A problem dockerd reports too — the reserved name, neither or both of
 * path and runtimeType, args with a runtimeType, options with a path, an
 * unknown default runtime, an unsupported cgroup driver — keeps dockerd's
 * wording, so when it is the only one the message is dockerd's error. Other
 * problems — a relative data or exec root, an exec-opt that does not parse, a
 * NUL in a path or argument, an option's key or value — are checks dockerd
 * does not make or words differently, so their messages are our own.
 */
export class InvalidRuntimeConfig extends Schema.TaggedError<InvalidRuntimeConfig>()("InvalidRuntimeConfig", {
  problems: Schema.Array(Problem),
  /** What was found suspicious on the way, so a report can show it alongside the problems. */
  warnings: Schema.optionalKey(Schema.Array(ConfigWarning))
}) {
  override get message(): string {
    return this.problems.map((problem) => problem.message).join("\n")
  }
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

type RuntimeOutcome =
  | { readonly ok: true; readonly runtime: PlannedRuntime; readonly warnings: ReadonlyArray<ConfigWarning> }
  | { readonly ok: false; readonly problems: ReadonlyArray<Problem> }

/** One configured runtime: the first of dockerd's rules that it breaks, or its plan. */
const planConfiguredRuntime = (
  name: string,
  runtime: RuntimeConfig,
  options: { readonly scriptsDirectory: string; readonly runcFor: (binary: string) => ShimOptions }
): RuntimeOutcome => {
  const { path, runtimeType } = runtime
  const args = runtime.runtimeArgs ?? []
  if (path === undefined || path === "") {
    if (runtimeType === undefined || runtimeType === "") {
      return { ok: false, problems: [problemFor(name, undefined, "either a runtimeType or a path must be configured")] }
    }
    if (args.length > 0) {
      return {
        ok: false,
        problems: [problemFor(name, "runtimeArgs", "args cannot be used with a runtimeType runtime")]
      }
    }
    const base = { name, kind: "type", shim: runtimeType, config: runtime } as const
    const none = { featuresArgv: undefined, wrapper: undefined, preflightPath: undefined }
    if (!hasEntries(runtime.options)) {
      return { ok: true, runtime: { ...base, ...none, options: undefined }, warnings: [] }
    }
    const generated = generateShimOptions(name, runtimeType, runtime.options)
    return Result.isFailure(generated)
      ? { ok: false, problems: generated.failure }
      : { ok: true, runtime: { ...base, ...none, options: generated.success.options }, warnings: generated.success.warnings }
  }
  if (runtimeType !== undefined && runtimeType !== "") {
    return {
      ok: false,
      problems: [problemFor(name, undefined, "cannot configure both path and runtimeType for the same runtime")]
    }
  }
  if (hasEntries(runtime.options)) {
    return { ok: false, problems: [problemFor(name, "options", "options cannot be used with a path runtime")] }
  }
  const badWords = wordProblems(name, path, args)
  if (badWords.length > 0) return { ok: false, problems: badWords }
  if (args.length > 0 && isDashLedBareName(path)) {
    return {
      ok: false,
      problems: [problemFor(
        name,
        "path",
        `a runtime with runtimeArgs runs through a wrapper script, whose exec would read ${JSON.stringify(excerpt(path))} ` +
          "as an option (no sh takes exec --): give the binary's full path"
      )]
    }
  }
  const wrapper = args.length > 0 ? planWrapper(options.scriptsDirectory, name, path, args) : undefined
  return {
    ok: true,
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
  }
}

const byName = (left: string, right: string) => (left < right ? -1 : left > right ? 1 : 0)

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

/**
 * Validates the whole configuration and decides every runtime, collecting all
 * problems instead of stopping at the first (dockerd stops at the first one
 * it meets in Go's random map order, so fixing a file took several restarts).
 */
export const planRuntimes = (
  config: DaemonConfig,
  host: HostSnapshot
): Result.Result<RuntimePlan, InvalidRuntimeConfig> => {
  const problems: Array<Problem> = [...rootProblems(config), ...execOptProblems(config.execOpts)]
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

  const configuredNames = Object.keys(config.runtimes).filter((name) => name !== stockRuntimeName).sort(byName)
  for (const name of configuredNames) {
    const outcome = planConfiguredRuntime(name, config.runtimes[name]!, { scriptsDirectory: directory, runcFor })
    if (outcome.ok) {
      planned.set(name, outcome.runtime)
      // One by one: spreading a huge list into `push` overflows the call stack.
      for (const warning of outcome.warnings) warnings.push(warning)
    } else {
      for (const problem of outcome.problems) problems.push(problem)
    }
  }

  const defaultRuntime = chooseDefaultRuntime(config)
  if (Result.isFailure(defaultRuntime)) problems.push(defaultRuntime.failure)

  if (Result.isFailure(defaultRuntime) || problems.length > 0) {
    return Result.fail(new InvalidRuntimeConfig(warnings.length > 0 ? { problems, warnings } : { problems }))
  }
  return Result.succeed({
    defaultRuntime: defaultRuntime.success,
    cgroupDriver: systemdCgroup ? "systemd" : "cgroupfs",
    scriptsDirectory: directory,
    runtimes: [...planned.values()].sort((left, right) => byName(left.name, right.name)),
    warnings
  })
}
