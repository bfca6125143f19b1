/**
 * A test kit for embedders: a real `RuntimeRegistry` over fixed host facts,
 * scripted features and lookups, and no file system, so tests of code that
 * calls `get` need nothing from the machine (no runc, no daemon.json, no
 * writable data root) and run the same everywhere.
 *
 * Everything but the host is the production code: planning, options,
 * wrapper-script naming, the pre-flight check, reloads. Scripts are named as
 * they would be, never written.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import { type DaemonConfig, parseDaemonJson } from "../config/DaemonConfig.ts"
import type { ConfigSchemaError, ConfigSyntaxError } from "../config/Errors.ts"
import type { Argv } from "../features/FeatureProbe.ts"
import type { Features } from "../features/Features.ts"
import { isProbeError, notFound, type ProbeError } from "../features/ProbeError.ts"
import * as ScriptedFeatureProbe from "../features/ScriptedFeatureProbe.ts"
import * as FileIdentity from "../host/FileIdentity.ts"
import * as HostFacts from "../host/HostFacts.ts"
import * as PathLookup from "../host/PathLookup.ts"
import * as Registry from "./Registry.ts"
import type { RuntimeTable } from "./RuntimeTable.ts"
import type { SetupError } from "./Setup.ts"

export interface TestHost {
  /** The host's facts; default: a current distribution, cgroup v2 under systemd, not on a ramdisk. */
  readonly host?: HostFacts.HostSnapshot | undefined
  /**
   * What `<argv…> features` reports; `undefined` fails the probe as a missing
   * binary would (a warning of the table). Default: every runtime reports
   * `defaultFeatures`.
   */
  readonly features?: ((argv: Argv) => Features | ProbeError | undefined) | undefined
  /**
   * Where a binary is found, or `undefined` when it is not (the pre-flight
   * check then fails as on a host without it). Default: a path is where it
   * says, a bare name is in /usr/bin.
   */
  readonly binaries?: ((file: string) => string | undefined) | undefined
}

/** What every runtime reports unless a test says otherwise. */
export const defaultFeatures: Features = { ociVersionMin: "1.0.0", ociVersionMax: "1.1.0" }

export const modernHost: HostFacts.HostSnapshot = { ramdisk: false, cgroupV2: true, systemdBooted: true }

const everyBinary = (file: string): string => file.includes("/") ? file : `/usr/bin/${file}`

/** The services a registry needs, all of them test doubles. */
const doubles = (test: TestHost) => {
  const features = test.features ?? (() => defaultFeatures)
  return Layer.mergeAll(
    HostFacts.layerFixed(test.host ?? modernHost),
    ScriptedFeatureProbe.layerFrom(({ argv }) => {
      const answer = features(argv)
      return answer === undefined
        ? Effect.fail(notFound(argv))
        : isProbeError(answer)
        ? Effect.fail(answer)
        : Effect.succeed(answer)
    }),
    PathLookup.layerFrom(test.binaries ?? everyBinary),
    FileIdentity.layerFrom(() => undefined),
    FileSystem.layerNoop({})
  )
}

/** A configuration, or daemon.json's text (read as dockerd reads it). */
export type TestConfig = DaemonConfig | string

const configFrom = (config: TestConfig): Effect.Effect<DaemonConfig, ConfigSyntaxError | ConfigSchemaError> =>
  typeof config === "string"
    ? Effect.map(Effect.fromResult(parseDaemonJson(config, "daemon.json")), (parsed) => parsed.config)
    : Effect.succeed(config)

/** A registry booted with `config`; building it fails as boot would. */
export const layer = (
  config: TestConfig,
  test: TestHost = {}
): Layer.Layer<Registry.RuntimeRegistry, SetupError | ConfigSyntaxError | ConfigSchemaError> =>
  Layer.effectDiscard(
    Effect.flatMap(Effect.zip(Registry.RuntimeRegistry, configFrom(config)), ([registry, decoded]) => registry.boot(decoded))
  ).pipe(
    Layer.provideMerge(Registry.layer({ scripts: "none" })),
    Layer.provide(doubles(test))
  )

/** A registry with `table` in force, as if booted with it. */
export const layerFromTable = (table: RuntimeTable, test: TestHost = {}): Layer.Layer<Registry.RuntimeRegistry> =>
  Registry.layerFrom(table, { scripts: "none" }).pipe(Layer.provide(doubles(test)))
