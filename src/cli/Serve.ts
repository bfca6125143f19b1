/**
 * `oci-runtimes serve`: a small daemon that answers the Docker Engine API's
 * `/_ping`, `/version` and `/info` (so the docker CLI can talk to it) and
 * `/runtimes/{name}` on a unix socket, from a managed registry that reloads
 * on SIGHUP and, with `--watch`, when daemon.json changes. `main` loads this
 * module only when `serve` runs, so the other commands never load the HTTP
 * server.
 *
 * It writes nothing but its socket: wrapper-script paths are computed, as
 * `info` computes them. Logs go to standard error; standard output stays
 * empty. It runs until SIGTERM or SIGINT, which stop it gracefully.
 */
import { availableParallelism, hostname, machine, release, totalmem } from "node:os"
import { posix } from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ConfigWarning } from "../config/Problem.ts"
import * as ConfigWatcher from "../daemon/ConfigWatcher.ts"
import type { ServerFacts } from "../daemon/EngineRender.ts"
import * as EngineServer from "../daemon/EngineServer.ts"
import * as HangupSignal from "../daemon/HangupSignal.ts"
import * as ManagedRegistry from "../daemon/ManagedRegistry.ts"
import { HostFacts } from "../host/HostFacts.ts"
import { printWarnings, reportFailure } from "./Commands.ts"
import { CommandExit, ExitCode } from "./ExitCode.ts"
import type { CliOptions } from "./Options.ts"
import { loadConfig, probeOptions } from "./Pipeline.ts"
import { ProgramVersion } from "./ProgramVersion.ts"
import { StopSignals } from "./RunMain.ts"

export interface ServeFlags {
  /** `undefined`: `<exec-root>/oci-runtimes.sock`. */
  readonly socket: string | undefined
  readonly watch: boolean
}

/** The socket's name in the exec root, beside dockerd's own state. */
const socketName = "oci-runtimes.sock"

/** Go's names for Node's architectures, as `/version` reports them. */
const goArchitectures: Readonly<Record<string, string>> = { x64: "amd64", ia32: "386", ppc64: "ppc64le" }

/** The host and program facts the answers report, read once. */
const serverFacts = Effect.gen(function*() {
  const host = yield* (yield* HostFacts).read
  return {
    version: yield* ProgramVersion,
    hostname: hostname(),
    kernelVersion: release(),
    machine: machine(),
    goArch: goArchitectures[process.arch] ?? process.arch,
    cpus: availableParallelism(),
    memoryBytes: totalmem(),
    cgroupV2: host.cgroupV2
  } satisfies ServerFacts
})

/** Flags that mean nothing to a server that writes nothing and prints no result. */
const ignoredFlags = (options: CliOptions): ReadonlyArray<ConfigWarning> => [
  ...(options.writeWrappers
    ? [new ConfigWarning({ path: "--write-wrappers", message: "ignored: serve writes no wrapper scripts" })]
    : []),
  ...(options.json ? [new ConfigWarning({ path: "--json", message: "ignored: serve prints no result" })] : [])
]

/** `--socket`, or the default in the exec root the configuration and flags name. */
const socketPath = (options: CliOptions, flags: ServeFlags) =>
  flags.socket === undefined
    ? Effect.map(loadConfig(options), ({ config }) => posix.join(config.execRoot, socketName))
    : Effect.succeed(flags.socket)

/** Listens until interrupted; the scope's finalizers stop the server, then log that it stopped. */
const run = (options: CliOptions, flags: ServeFlags, socket: string) =>
  Effect.gen(function*() {
    const signals = yield* StopSignals
    // SIGHUP reloads from here on, through the registry's HangupSignal, instead of stopping the run.
    yield* signals.takeOver("SIGHUP")
    // Stopped by SIGTERM or SIGINT, a daemon has done its job: exit 0, as dockerd does.
    yield* signals.stopIsNormalEnd
    const facts = yield* serverFacts
    const registry = ManagedRegistry.layer(
      { file: options.configFile, flags: options.daemonFlags, watch: flags.watch },
      { scripts: "none", probe: probeOptions(options) }
    ).pipe(Layer.provide(Layer.merge(HangupSignal.layer, ConfigWatcher.layer)))
    let listening = false
    yield* Effect.addFinalizer(() => listening ? Effect.logInfo(`stopped; ${socket} removed`) : Effect.void)
    yield* Layer.build(EngineServer.layer(socket, facts).pipe(Layer.provide(registry)))
    listening = true
    yield* Effect.logInfo(`listening on ${socket}`)
    yield* Effect.addFinalizer(() => Effect.logInfo("stopping: no new connections; requests in flight finish"))
    return yield* Effect.never
  }).pipe(Effect.scoped)

/**
 * Serves until stopped. A boot that fails has been logged by the registry,
 * problem by problem; a socket that cannot be used, or a watch that cannot
 * start, is logged here; either ends the run with exit code 1.
 */
export const serve = (options: CliOptions, flags: ServeFlags) =>
  Effect.gen(function*() {
    yield* printWarnings(ignoredFlags(options))
    const socket = yield* socketPath(options, flags).pipe(Effect.catch(reportFailure(options)))
    return yield* run(options, flags, socket).pipe(
      Effect.catch((error) =>
        Effect.andThen(
          isListenFailure(error) ? Effect.logError(error.message) : Effect.void,
          Effect.fail(new CommandExit(ExitCode.failure))
        )
      )
    )
  })

/** What fails before serving other than the registry's boot, which logs its own failures. */
const isListenFailure = (error: { readonly _tag: string }): boolean =>
  error._tag === "SocketInUse" || error._tag === "SocketPathError" || error._tag === "ConfigWatchError"
