/**
 * The doctor over test layers: a fixed host, a scripted (or the real)
 * feature probe, the real file system, and a PATH of the test's choosing,
 * with binaries made in a temporary directory.
 */
import { posix } from "node:path"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import type { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import type { DaemonConfig } from "../../src/config/DaemonConfig.ts"
import type { Check, CheckName, Diagnosis, RuntimeDiagnosis } from "../../src/doctor/Diagnosis.ts"
import { doctor } from "../../src/doctor/Doctor.ts"
import type { FeatureProbe } from "../../src/features/FeatureProbe.ts"
import * as HostFacts from "../../src/host/HostFacts.ts"
import * as PathLookup from "../../src/host/PathLookup.ts"
import { executable, scriptedProbe, tempDirectory } from "../registry/harness.ts"
import { daemonConfig, plainHost } from "../registry/support.ts"

export interface DoctorRun {
  /** PATH as the lookups see it; default: the sandbox's `bin` only. */
  readonly path?: string
  /** `--containerd`; default: `containerd` looked up on PATH. */
  readonly containerd?: string
  /** The real probe needs the platform's spawner, which the harness provides. */
  readonly probe?: Layer.Layer<FeatureProbe, never, ChildProcessSpawner | FileSystem.FileSystem>
}

/**
 * A directory of its own for one test: `bin` (on PATH by default) holds the
 * runc shim, `runc` and `containerd`; `opt` is off PATH, for binaries found
 * only by a path; the data root is `data`, not created.
 */
export const sandbox = Effect.gen(function*() {
  const root = yield* tempDirectory("doctor-")
  const fs = yield* FileSystem.FileSystem
  const bin = posix.join(root, "bin")
  const opt = posix.join(root, "opt")
  yield* fs.makeDirectory(bin)
  yield* fs.makeDirectory(opt)
  for (const name of ["containerd", "containerd-shim-runc-v2", "runc"]) yield* executable(bin, name)
  const dataRoot = posix.join(root, "data")
  const config = (overrides: Partial<DaemonConfig> = {}) => daemonConfig({ dataRoot, ...overrides })
  const run = (configuration: DaemonConfig, options: DoctorRun = {}) =>
    doctor(configuration, { containerd: options.containerd }).pipe(
      Effect.provide(doctorLayer(options.path ?? bin, options.probe))
    )
  return { root, bin, opt, dataRoot, scripts: posix.join(dataRoot, "runtimes"), config, run }
})

/** The services `doctor` needs, over the real file system. */
export const doctorLayer = (
  path: string,
  probe: Layer.Layer<FeatureProbe, never, ChildProcessSpawner | FileSystem.FileSystem> = scriptedProbe().layer
) =>
  Layer.mergeAll(
    HostFacts.layerFixed(plainHost),
    probe,
    PathLookup.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { PATH: path } }))))
  ).pipe(Layer.provideMerge(NodeServices.layer))

export const runtimeOf = (diagnosis: Diagnosis, name: string): RuntimeDiagnosis => {
  const runtime = diagnosis.runtimes.find((candidate) => candidate.name === name)
  if (runtime === undefined) throw new Error(`no runtime ${name} in the diagnosis`)
  return runtime
}

/** One check of one runtime; fails the test when the check is not there. */
export const checkOf = (diagnosis: Diagnosis, name: string, check: CheckName): Check => {
  const found = runtimeOf(diagnosis, name).checks.find((candidate) => candidate.check === check)
  if (found === undefined) throw new Error(`runtime ${name} has no ${check} check`)
  return found
}

/** The names of the checks a runtime got, in order. */
export const checkNames = (diagnosis: Diagnosis, name: string): ReadonlyArray<CheckName> =>
  runtimeOf(diagnosis, name).checks.map((check) => check.check)
