/**
 * What the end-to-end tests of `run` and `check` share: the private
 * containerd's addresses, recording runtimes, and a look at what a namespace
 * still holds.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { inject } from "vitest"
import type { DaemonConfig } from "../../src/config/DaemonConfig.ts"
import type { ContainerdClient } from "../../src/containerd/ContainerdClient.ts"
import * as FeatureProbe from "../../src/features/FeatureProbe.ts"
import * as HostFacts from "../../src/host/HostFacts.ts"
import * as PathLookup from "../../src/host/PathLookup.ts"
import * as Registry from "../../src/registry/Registry.ts"
import * as FileIdentity from "../../src/host/FileIdentity.ts"

export const runc = "/usr/sbin/runc"
export const address = () => inject("containerdAddress")
export const rootfs = () => inject("busyboxRootfs")

/** `--address … --namespace NS --rootfs …`: the CLI flags that point a command at the private containerd. */
export const containerdFlags = (namespace: string) => ["--address", address(), "--namespace", namespace, "--rootfs", rootfs()]

/** A fresh directory under the run's scratch directory. */
export const scratchDir = (prefix: string) => mkdtempSync(join(inject("scratch"), `${prefix}-`))

/** Containers and tasks in `namespace`, as containerd lists them (through `ctr`, an independent client). */
export const namespaceContents = (namespace: string) => {
  const list = (kind: "containers" | "tasks") =>
    execFileSync("ctr", ["--address", address(), "--namespace", namespace, kind, "list", "--quiet"], { encoding: "utf8" })
      .split("\n").filter((line) => line !== "")
  return { containers: list("containers"), tasks: list("tasks") }
}

export interface Recorder {
  /** The executable: records its argv, drops the first `drop` arguments, then execs runc with the rest. */
  readonly path: string
  /** Every argv it was called with, one array per call, in no particular order. */
  readonly calls: () => Array<Array<string>>
}

/**
 * A runc-compatible runtime that writes each argv it is given, NUL-separated
 * so that every byte survives, then becomes runc. `drop` leading arguments
 * are the test's own markers, which runc would refuse.
 */
export const recorder = (dir: string, drop = 0): Recorder => {
  const path = join(dir, "recording-runc")
  const log = join(dir, "calls")
  execFileSync("mkdir", ["-p", log])
  writeFileSync(
    path,
    `#!/bin/sh\nprintf '%s\\0' "$@" > '${log}/'$$\nshift ${drop}\nexec ${runc} "$@"\n`,
    { mode: 0o755 }
  )
  return {
    path,
    calls: () =>
      readdirSync(log).map((name) => readFileSync(join(log, name), "utf8").split("\0").slice(0, -1))
  }
}

/** Arguments a shell would mangle if a wrapper script did not quote them: a space, quotes, expansions, globs. */
export const hostileArgument = `a b\t'q' "dq" $HOME \`true\` $(false) ;|&<>*?[x] \\ end`

/** A configuration with `runtimes` whose data and exec roots are in a fresh scratch directory. */
export const configWith = (runtimes: DaemonConfig["runtimes"], more: Partial<DaemonConfig> = {}): DaemonConfig => {
  const dir = scratchDir("config")
  return { runtimes, defaultRuntime: "", execOpts: [], dataRoot: join(dir, "data"), execRoot: join(dir, "exec"), ...more }
}

export type RunServices = Registry.RuntimeRegistry | ContainerdClient | NodeServices.NodeServices

/**
 * `effect` with a registry over the real host (reloaded with `config`, as
 * `run` does: scripts written, nothing probed) and `client`.
 */
export const withRegistry = (config: DaemonConfig, client: Layer.Layer<ContainerdClient>) =>
<A, E>(effect: Effect.Effect<A, E, RunServices>) =>
  Effect.gen(function*() {
    yield* Effect.flatMap(Registry.RuntimeRegistry, (registry) => registry.reload(config))
    return yield* effect
  }).pipe(Effect.provide(Layer.mergeAll(Registry.layer({ probeOnly: [] }), client).pipe(
    Layer.provideMerge(Layer.mergeAll(HostFacts.layer, PathLookup.layer, FeatureProbe.layer, FileIdentity.layer)),
    Layer.provideMerge(NodeServices.layer)
  )))
