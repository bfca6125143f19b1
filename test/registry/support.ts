/**
 * Shared inputs for the registry tests: configurations, hosts, and ways to
 * look at plans and errors as plain data.
 */
import * as Result from "effect/Result"
import { type DaemonConfig, emptyDaemonConfig, type RuntimeConfig } from "../../src/config/DaemonConfig.ts"
import type { HostSnapshot } from "../../src/host/HostFacts.ts"
import type { InvalidRuntimeConfig } from "../../src/config/Errors.ts"
import { planRuntimes, type PlannedRuntime, type RuntimePlan } from "../../src/registry/RuntimePlan.ts"

/** A daemon.json's runtime settings: dockerd's defaults, with `overrides` on top. */
export const daemonConfig = (overrides: Partial<DaemonConfig> = {}): DaemonConfig => ({
  ...emptyDaemonConfig,
  ...overrides
})

/** Just `runtimes`, everything else as dockerd's defaults. */
export const withRuntimes = (
  runtimes: Readonly<Record<string, RuntimeConfig>>,
  overrides: Partial<DaemonConfig> = {}
): DaemonConfig => daemonConfig({ runtimes, ...overrides })

/** A cgroup v1 host, not booted with systemd, not on a ramdisk: every fact false. */
export const plainHost: HostSnapshot = { ramdisk: false, cgroupV2: false, systemdBooted: false }

/** A current distribution: the unified cgroup hierarchy, managed by systemd. */
export const systemdHost: HostSnapshot = { ramdisk: false, cgroupV2: true, systemdBooted: true }

/** The plan for a configuration that must be valid. */
export const planOf = (config: DaemonConfig, host: HostSnapshot = plainHost): RuntimePlan =>
  Result.getOrThrow(planRuntimes(config, host))

/** The error for a configuration that must be invalid. */
export const problemsOf = (config: DaemonConfig, host: HostSnapshot = plainHost): InvalidRuntimeConfig =>
  Result.getOrThrow(Result.flip(planRuntimes(config, host)))

/** Problems or warnings as `{ path, message }`, to compare with plain literals. */
export const plain = (items: ReadonlyArray<{ readonly path: string; readonly message: string }>) =>
  items.map(({ message, path }) => ({ path, message }))

/** One runtime of a plan, by name. */
export const runtimeIn = (plan: RuntimePlan, name: string): PlannedRuntime => {
  const runtime = plan.runtimes.find((candidate) => candidate.name === name)
  if (runtime === undefined) throw new Error(`no runtime ${name} in the plan`)
  return runtime
}

/** The runc options dockerd gives stock and `path` runtimes, as the plan holds them. */
export const runcShimOptions = (value: {
  readonly binaryName: string
  readonly root?: string
  readonly systemdCgroup?: boolean
  readonly noPivotRoot?: boolean
}) => ({
  _tag: "RuncOptions",
  typeUrl: "containerd.runc.v1.Options",
  value: {
    binaryName: value.binaryName,
    root: value.root ?? "/var/run/docker/runtime-runc",
    systemdCgroup: value.systemdCgroup ?? false,
    noPivotRoot: value.noPivotRoot ?? false
  }
})
