/**
 * Registries for the effectful tests: the real registry service over a fixed
 * host, a scripted (or hand-made) feature probe, the real file system in a
 * temporary directory, and a PATH of the test's choosing.
 */
import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as PlatformError from "effect/PlatformError"
import * as Result from "effect/Result"
import type { DaemonConfig } from "../../src/config/DaemonConfig.ts"
import { type Argv, argvKey, type FeatureProbe } from "../../src/features/FeatureProbe.ts"
import type { ProbeError } from "../../src/features/ProbeError.ts"
import type { Features } from "../../src/features/Features.ts"
import * as ScriptedFeatureProbe from "../../src/features/ScriptedFeatureProbe.ts"
import * as FileIdentity from "../../src/host/FileIdentity.ts"
import * as HostFacts from "../../src/host/HostFacts.ts"
import * as PathLookup from "../../src/host/PathLookup.ts"
import * as Registry from "../../src/registry/Registry.ts"
import { chooseRuntime, type RuntimeTable } from "../../src/registry/RuntimeTable.ts"
import { daemonConfig, systemdHost } from "./support.ts"

export const runcFeatures: Features = {
  ociVersionMin: "1.0.0",
  ociVersionMax: "1.1.0",
  hooks: ["prestart"],
  annotations: { "org.opencontainers.runc.version": "1.1.5" }
}

/** A scripted probe that knows the stock runc, plus `more`. */
export const scriptedProbe = (
  more: ReadonlyArray<readonly [ReadonlyArray<string>, Features | ProbeError]> = []
): ScriptedFeatureProbe.ScriptedFeatureProbe =>
  ScriptedFeatureProbe.make(new Map([[argvKey(["runc"]), runcFeatures], ...more.map(([argv, answer]) => [argvKey(argv), answer] as const)]))

export interface TestRegistryOptions {
  readonly probe?: Layer.Layer<FeatureProbe>
  readonly host?: HostFacts.HostSnapshot
  /** PATH as the pre-flight lookup sees it. */
  readonly path?: string
  /** The registry's own options: the probes' timeout, output bound and concurrency. */
  readonly setup?: Registry.RegistryOptions
  /** The file system the registry writes scripts with; the real one by default. */
  readonly fileSystem?: Layer.Layer<FileSystem.FileSystem>
}

/** A registry, not yet booted, over test doubles for everything but the file system. */
export const testRegistry = (options: TestRegistryOptions = {}): Layer.Layer<Registry.RuntimeRegistry> =>
  Registry.layer(options.setup).pipe(
    Layer.provide(Layer.mergeAll(
      HostFacts.layerFixed(options.host ?? systemdHost),
      options.probe ?? scriptedProbe().layer,
      PathLookup.layer.pipe(
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { PATH: options.path ?? "" } })))
      )
    )),
    Layer.provide(options.fileSystem ?? NodeFileSystem.layer),
    Layer.provide(FileIdentity.layer)
  )

const denied = (method: string, path: string) =>
  PlatformError.systemError({ _tag: "PermissionDenied", module: "FileSystem", method, pathOrDescriptor: path })

/**
 * The real file system, except that opening a file (so writing a script) or
 * creating a directory fails with permission denied while `broken()` says so:
 * a disk that turns read-only, or a full one, between two setups.
 */
export const breakableFileSystem = (
  broken: () => "open" | "makeDirectory" | undefined
): Layer.Layer<FileSystem.FileSystem> =>
  Layer.effect(FileSystem.FileSystem)(Effect.map(FileSystem.FileSystem, (fs) =>
    FileSystem.FileSystem.of({
      ...fs,
      open: (path, options) => broken() === "open" ? Effect.fail(denied("open", path)) : fs.open(path, options),
      makeDirectory: (path, options) =>
        broken() === "makeDirectory" ? Effect.fail(denied("makeDirectory", path)) : fs.makeDirectory(path, options)
    }))).pipe(Layer.provide(NodeFileSystem.layer))

/** Runs `f` with a fresh registry built from `options`. */
export const withRegistry = <A, E, R>(
  options: TestRegistryOptions,
  f: (registry: Registry.RuntimeRegistry) => Effect.Effect<A, E, R>
) => Effect.flatMap(Registry.RuntimeRegistry, f).pipe(Effect.provide(testRegistry(options)))

/**
 * A directory of its own for one test: `config` puts the data root in it (so
 * wrapper scripts land in `scripts`), and `bin` is there for runtime binaries.
 */
export const sandbox = Effect.gen(function*() {
  const root = yield* tempDirectory("registry-")
  const bin = posix.join(root, "bin")
  yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeDirectory(bin))
  const config = (overrides: Partial<DaemonConfig> = {}) =>
    daemonConfig({ dataRoot: posix.join(root, "data"), ...overrides })
  return { root, bin, scripts: posix.join(root, "data", "runtimes"), config }
})

/** What `get` should answer for `name` from `table`, pre-flight aside. */
export const answerFrom = (table: RuntimeTable, name: string) => Result.getOrThrow(chooseRuntime(table, name))

/** A fresh directory, removed when the test ends. */
export const tempDirectory = (prefix: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix }))

/** Writes an executable shell script and returns its path. */
export const executable = (dir: string, name: string, body = "exit 0") =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = posix.join(dir, name)
    yield* fs.writeFileString(path, `#!/bin/sh\n${body}\n`)
    yield* fs.chmod(path, 0o755)
    return path
  })

/** The names in a directory, sorted. */
export const listing = (dir: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readDirectory(dir)).pipe(Effect.map((names) => names.sort()))

export const readText = (path: string) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path))

/** The runc options' `binaryName` of a choice: the binary, or the wrapper script, the shim runs. */
export const binaryNameOf = (choice: { readonly options: { readonly value: object } | undefined }): string => {
  const value = choice.options?.value as { readonly binaryName?: string } | undefined
  if (value?.binaryName === undefined) throw new Error("not runc options")
  return value.binaryName
}

/** A `FeatureProbe` from a function, for tests that need to hold a probe in flight. */
export const probeLayer = (probe: (argv: Argv) => Effect.Effect<Features, ProbeError>): Layer.Layer<FeatureProbe> =>
  // The real service over it: dedup, bounded concurrency, deadline, failures as outcomes.
  ScriptedFeatureProbe.layerFrom((request) => probe(request.argv))
