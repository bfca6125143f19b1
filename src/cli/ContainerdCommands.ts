/**
 * The commands that talk to containerd: `run` and `check`. `main` loads this
 * module only when one of them runs, so the other commands never pay for the
 * gRPC and protobuf code.
 *
 * Both set the runtimes up through a registry with reload semantics — missing
 * wrapper scripts are written into `<data-root>/runtimes`, nothing is ever
 * deleted — and probe no features: running a container is the real test.
 */
import { resolve as resolvePath } from "node:path"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ConfigWarning } from "../config/Problem.ts"
import * as ContainerdClient from "../containerd/ContainerdClient.ts"
import { runInContainer } from "../containerd/ContainerRun.ts"
import { checkRuntimes } from "../containerd/SmokeCheck.ts"
import * as Registry from "../registry/Registry.ts"
import { printWarnings, reportFailure } from "./Commands.ts"
import { CommandExit, ExitCode } from "./ExitCode.ts"
import type { CliOptions } from "./Options.ts"
import { Output } from "./Output.ts"
import { loadConfig } from "./Pipeline.ts"
import { checkJson, checkText } from "./CheckRender.ts"
import { formatJson } from "../json/JsonWriter.ts"
import { warningLine } from "./Render.ts"

/** Where containerd is, as the flags say. */
export interface ContainerdFlags {
  readonly address: string | undefined
  readonly namespace: string | undefined
}

export interface RunFlags extends ContainerdFlags {
  /** `""`: the default runtime. */
  readonly runtime: string
  readonly rootfs: string
  readonly command: ReadonlyArray<string>
}

export interface CheckFlags extends ContainerdFlags {
  readonly rootfs: string
  /** Per smoke container; `undefined`: `checkRuntimes`'s default. */
  readonly timeout: Duration.Duration | undefined
}

/** A registry (set up from the configuration and flags) and a client for the containerd the flags name. */
const services = (flags: ContainerdFlags) =>
  Layer.mergeAll(
    Registry.layer({ probeOnly: [] }),
    ContainerdClient.layer({
      ...(flags.address === undefined ? {} : { address: flags.address }),
      ...(flags.namespace === undefined ? {} : { namespace: flags.namespace })
    })
  )

/** Flags that mean nothing to a command that always writes scripts and never probes. */
const ignoredFlags = (options: CliOptions): ReadonlyArray<ConfigWarning> => [
  ...(options.writeWrappers
    ? [new ConfigWarning({ path: "--write-wrappers", message: "ignored: missing wrapper scripts are always written here" })]
    : []),
  ...(options.probeTimeout === undefined
    ? []
    : [new ConfigWarning({ path: "--probe-timeout", message: "ignored: no features are probed here" })])
]

/** Reads the configuration and sets the registry's table up, printing its warnings. */
const setUpRegistry = (options: CliOptions) =>
  Effect.gen(function*() {
    const loaded = yield* loadConfig(options)
    const table = yield* (yield* Registry.RuntimeRegistry).reload(loaded.config, { upstreamProblems: loaded.flagProblems })
    yield* printWarnings([...ignoredFlags(options), ...table.warnings])
    return table
  })

/** Prints a warning from the containerd side of a run as the configuration's are printed. */
const containerdWarning = (output: Output) => (message: string) =>
  output.stderr(warningLine({ path: "containerd", message }, output.stderrStyle))

/**
 * A reader of our stdout that went away (`run … | head -1`): the run stops,
 * as a Go program dies of SIGPIPE, with its exit status 141 (128 + SIGPIPE).
 */
const isBrokenPipe = (error: { readonly _tag: string; readonly reason?: unknown }) =>
  error._tag === "ResultWriteError" && error.reason === "broken pipe"

const brokenPipeStatus = 141

/** Ends the command with `code` unless it is 0; after `reportFailure`, which would take it for an error. */
const exitWith = (code: number) => code === 0 ? Effect.void : Effect.fail(new CommandExit(code))

/**
 * Runs the command in a container and exits with its exit status (128+N for
 * signal N). Its output is passed through byte for byte as it is written.
 */
export const run = (options: CliOptions, flags: RunFlags) =>
  Effect.gen(function*() {
    const output = yield* Output
    yield* setUpRegistry(options)
    const result = yield* runInContainer(
      { runtime: flags.runtime, rootfs: resolvePath(flags.rootfs), args: flags.command },
      { stdout: output.stdoutBytes, stderr: output.stderrBytes, warning: containerdWarning(output) }
    )
    return result.exitStatus
  }).pipe(
    Effect.catchIf(isBrokenPipe, () => Effect.succeed(brokenPipeStatus)),
    Effect.catch(reportFailure(options)),
    Effect.flatMap(exitWith),
    Effect.provide(services(flags))
  )

/** Tries every runtime with a smoke container; exit 1 when the default runtime fails. */
export const check = (options: CliOptions, flags: CheckFlags) =>
  Effect.gen(function*() {
    const output = yield* Output
    yield* setUpRegistry(options)
    const report = yield* checkRuntimes({
      rootfs: resolvePath(flags.rootfs),
      warning: containerdWarning(output),
      ...(flags.timeout === undefined ? {} : { timeout: flags.timeout })
    })
    yield* output.stdout(options.json ? formatJson(checkJson(report)) : checkText(report, output.stdoutStyle))
    return report.ok ? ExitCode.ok : ExitCode.failure
  }).pipe(Effect.catch(reportFailure(options)), Effect.flatMap(exitWith), Effect.provide(services(flags)))
