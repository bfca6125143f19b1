/**
 * Carries out a runtime plan: reads the host's facts, writes the wrapper
 * scripts the plan calls for, and asks each runc-compatible runtime for its
 * features, then returns the finished table.
 *
 * Probes are best effort (dockerd's rule): a runtime that cannot describe
 * itself is still usable, so a failed probe becomes a warning, never a setup
 * failure. Writing a script that a runtime needs, on the other hand, must
 * succeed.
 */
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import { ConfigWarning, configPath, type Problem } from "../config/Problem.ts"
import { type Argv, argvKey, FeatureProbe, type ProbeAllOptions, type ProbeOutcome } from "../features/FeatureProbe.ts"
import type { Features } from "../features/Features.ts"
import type { FileIdentity } from "../host/FileIdentity.ts"
import { HostFacts } from "../host/HostFacts.ts"
import {
  effectiveUid,
  installScripts,
  prepareScriptsDirectory,
  type ScriptRequest,
  type ScriptsDirectoryError,
  type VerifiedScripts,
  type WrapperWriteError
} from "../wrappers/ScriptStore.ts"
import type { InvalidRuntimeConfig } from "../config/Errors.ts"
import { planRuntimes, type RuntimePlan } from "./RuntimePlan.ts"
import { completePlan, type RuntimeTable } from "./RuntimeTable.ts"

/**
 * What to do with wrapper scripts:
 * - `keep`: boot, reload and `--write-wrappers` — make the scripts directory
 *   safe, write missing scripts, rewrite any existing one that is not exactly
 *   what we would write (see `ScriptTrust`), and remove nothing: running
 *   containers may still use scripts of earlier configurations. Removing the
 *   scripts no table names any more is the registry's `boot`'s job, once the
 *   new table is in force;
 * - `none`: write nothing (checks and dry runs); the table still names the
 *   scripts where they would be.
 */
export type ScriptsMode = "keep" | "none"

export interface SetupOptions {
  readonly scripts?: ScriptsMode | undefined
  /**
   * Probe the features of this runtime alone (`""`: the default runtime), or
   * of these runtimes (none for `[]`), rather than of all of them, for a
   * caller that needs only some answers; the others' features are then unknown.
   */
  readonly probeOnly?: string | ReadonlyArray<string> | undefined
  /** Timeout, output bound, concurrency and overall deadline of the `features` probes. */
  readonly probe?: ProbeAllOptions | undefined
  /**
   * Scripts this process verified in earlier setups, kept by a long-lived
   * caller so that a reload reads only the scripts that changed since; the
   * setup updates it. Without one every existing script is read.
   */
  readonly verifiedScripts?: VerifiedScripts | undefined
  /**
   * Problems a caller found before the configuration got here (the flags'),
   * reported with the configuration's own in one `InvalidRuntimeConfig`; any
   * at all fail the setup before anything is written or probed.
   */
  readonly upstreamProblems?: ReadonlyArray<Problem> | undefined
}

export type SetupError = InvalidRuntimeConfig | ScriptsDirectoryError | WrapperWriteError

export type SetupServices = HostFacts | FeatureProbe | FileSystem.FileSystem | FileIdentity

/**
 * Prepares the scripts directory and installs every script the plan names;
 * what had to be repaired or rewritten on the way comes back as warnings, so
 * that an administrator learns someone tampered with the directory.
 */
const writeScripts = (plan: RuntimePlan, mode: ScriptsMode, verified: VerifiedScripts | undefined) =>
  Effect.gen(function*() {
    if (mode === "none") return []
    const owner = yield* effectiveUid
    const repaired = yield* prepareScriptsDirectory(plan.scriptsDirectory, owner)
    const requests: Array<ScriptRequest> = []
    for (const runtime of plan.runtimes) {
      if (runtime.wrapper !== undefined) requests.push({ runtimeName: runtime.name, plan: runtime.wrapper })
    }
    const replaced = yield* installScripts(plan.scriptsDirectory, requests, owner, verified)
    return [
      ...(repaired === undefined ? [] : [new ConfigWarning({ path: configPath(["data-root"]), message: repaired })]),
      ...replaced.map(({ message, runtimeName }) =>
        new ConfigWarning({ path: configPath(["runtimes", runtimeName]), message })
      )
    ]
  })

/**
 * The names of the runtimes that share each probed argv, under its `argvKey`,
 * in the plan's (name) order. Built once per setup: a failed probe names every
 * runtime behind it, and searching the plan afresh for each failure made a
 * setup with thousands of failing probes quadratic.
 */
const namesByArgv = (plan: RuntimePlan): ReadonlyMap<string, ReadonlyArray<string>> => {
  const index = new Map<string, Array<string>>()
  for (const runtime of plan.runtimes) {
    if (runtime.featuresArgv === undefined) continue
    const key = argvKey(runtime.featuresArgv)
    const names = index.get(key)
    if (names === undefined) index.set(key, [runtime.name])
    else names.push(runtime.name)
  }
  return index
}

/**
 * A failed probe's warning, placed at the runtimes that share the binary, so
 * the user sees which configured names it concerns.
 */
const probeWarning = (
  namesOf: ReadonlyMap<string, ReadonlyArray<string>>,
  outcome: ProbeOutcome & { readonly _tag: "Failed" }
) =>
  new ConfigWarning({
    path: (namesOf.get(argvKey(outcome.argv)) ?? []).map((name) => configPath(["runtimes", name])).join(", "),
    message: outcome.error.message
  })

/** The names `probeOnly` asks for, with `""` read as the default runtime; `undefined`: all of them. */
const wantedNames = (plan: RuntimePlan, only: SetupOptions["probeOnly"]): ReadonlySet<string> | undefined =>
  only === undefined
    ? undefined
    : new Set((typeof only === "string" ? [only] : only).map((name) => name === "" ? plan.defaultRuntime : name))

/** Asks the runc-compatible runtimes (or the ones named) for their features, each distinct argv once. */
const probeFeatures = (plan: RuntimePlan, only: SetupOptions["probeOnly"], options: ProbeAllOptions | undefined) =>
  Effect.gen(function*() {
    const probe = yield* FeatureProbe
    const wanted = wantedNames(plan, only)
    const argvs: Array<Argv> = []
    for (const runtime of plan.runtimes) {
      if (runtime.featuresArgv !== undefined && (wanted === undefined || wanted.has(runtime.name))) {
        argvs.push(runtime.featuresArgv)
      }
    }
    const { outcomes } = yield* probe.probeAll(argvs, options)
    const features = new Map<string, Features>()
    const warnings: Array<ConfigWarning> = []
    // Only a failure needs the index, and most setups have none.
    let namesOf: ReadonlyMap<string, ReadonlyArray<string>> | undefined
    for (const outcome of outcomes) {
      if (outcome._tag === "Probed") features.set(argvKey(outcome.argv), outcome.features)
      else warnings.push(probeWarning(namesOf ??= namesByArgv(plan), outcome))
    }
    return { featuresFor: (argv: Argv) => features.get(argvKey(argv)), warnings }
  })

/**
 * Plans, then writes and probes at once: the probes run the runtimes' own
 * binaries, never the scripts, so neither waits for the other. A write that
 * fails fails the setup and interrupts the probes still running.
 */
export const setupRuntimes = (
  config: DaemonConfig,
  options: SetupOptions = {}
): Effect.Effect<RuntimeTable, SetupError, SetupServices> =>
  Effect.gen(function*() {
    const host = yield* (yield* HostFacts).read
    const plan = yield* Effect.fromResult(planRuntimes(config, host, { upstreamProblems: options.upstreamProblems }))
    const [scriptWarnings, { featuresFor, warnings }] = yield* Effect.all([
      writeScripts(plan, options.scripts ?? "none", options.verifiedScripts),
      probeFeatures(plan, options.probeOnly, options.probe)
    ], { concurrency: "unbounded" })
    return completePlan(plan, featuresFor, [...scriptWarnings, ...warnings])
  })
