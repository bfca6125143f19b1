/**
 * A runtime registry that owns its configuration source, as a daemon needs
 * one: it boots from daemon.json and dockerd's flags when its layer is built,
 * reloads on SIGHUP and — opt-in — when the file changes, logs what each
 * reload changed or why it was refused, and tells everyone who asks.
 *
 * Every reload, whatever starts it, goes through one queue and is applied by
 * one fiber, in order. A caller that asks for a reload waits until its table
 * is in force or refused, so nothing can observe "reload returned, table not
 * yet swapped" (dockerd's `systemctl reload` returns before the reload is
 * done, and the next `docker run --runtime NEW` fails). Requests waiting
 * together are served by one reload that reads the file after all of them.
 * A refused reload keeps the table in force, as `RuntimeRegistry` does.
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { type ConfigLoadError, defaultConfigFile, loadDaemonConfig } from "../config/ConfigFile.ts"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import { type LocatedProblem, locatedProblems, locatedText } from "../config/Errors.ts"
import { applyFlags, type DaemonFlags } from "../config/Flags.ts"
import type { PathLookup } from "../host/PathLookup.ts"
import * as Registry from "../registry/Registry.ts"
import type { RuntimeTable } from "../registry/RuntimeTable.ts"
import type { SetupError, SetupServices } from "../registry/Setup.ts"
import { describeDiff, diffTables, type TableDiff } from "../registry/TableDiff.ts"
import { ConfigWatcher, type ConfigWatchError } from "./ConfigWatcher.ts"
import { HangupSignal } from "./HangupSignal.ts"

/** Where the configuration comes from, read again on every reload. */
export interface ConfigSource {
  /** daemon.json; without it `/etc/docker/daemon.json` when it exists, else dockerd's defaults. */
  readonly file?: string | undefined
  /** dockerd's flags, applied on every reload, as dockerd applies them. */
  readonly flags?: DaemonFlags | undefined
  /** Also reload when the file changes (see `ConfigWatcher`), once it has been quiet for `debounce`. */
  readonly watch?: boolean | undefined
  /** Default 200 ms: an editor's save is several events in a few milliseconds. */
  readonly debounce?: Duration.Input | undefined
}

export type ReloadError = ConfigLoadError | SetupError

/** A table put in force, numbered: boot's is generation 1, and each applied reload adds one. */
export interface TableUpdate {
  readonly generation: number
  readonly table: RuntimeTable
  /** The data root of the configuration the table was set up from (flags applied): where its scripts live. */
  readonly dataRoot: string
  /** From the table before it (for boot, from no table at all). */
  readonly diff: TableDiff
}

/** What asked for a setup. */
export type ReloadTrigger = "boot" | "SIGHUP" | "file change" | "request"

export type ReloadOutcome =
  | { readonly _tag: "Applied"; readonly trigger: ReloadTrigger; readonly update: TableUpdate }
  | {
    readonly _tag: "Refused"
    readonly trigger: ReloadTrigger
    readonly error: ReloadError
    /** The generation that stays in force. */
    readonly generation: number
  }

export interface ManagedRegistry {
  /**
   * Reads the source again and reloads; succeeds once the new table is in
   * force, fails once it has been refused (the table in force stays).
   */
  readonly reload: Effect.Effect<TableUpdate, ReloadError>
  /** The table in force and its generation. */
  readonly current: Effect.Effect<TableUpdate>
  /** The update in force, then each later one, in order. */
  readonly changes: Stream.Stream<TableUpdate>
  /**
   * Subscribes, until the scope closes, to every setup's outcome from now
   * on, whatever asked for it: how an observer learns that the reload a
   * SIGHUP started is done (subscribe first, then send the signal).
   */
  readonly outcomes: Effect.Effect<Stream.Stream<ReloadOutcome>, never, Scope.Scope>
}

export const ManagedRegistry: Context.Service<ManagedRegistry, ManagedRegistry> = Context.Service<ManagedRegistry>(
  "oci-runtimes/ManagedRegistry"
)

/** Reads daemon.json and applies the flags; their problems fail the setup with the file's own. */
const loadSource = (source: ConfigSource) =>
  Effect.map(loadDaemonConfig(source.file), (loaded) => applyFlags(loaded.config, loaded.setKeys, source.flags ?? noFlags))

const noFlags: DaemonFlags = { addRuntimes: [], execOpts: [] }

const problemsOf = (error: ReloadError): ReadonlyArray<LocatedProblem> =>
  error._tag === "ConfigSchemaError" || error._tag === "InvalidRuntimeConfig"
    ? locatedProblems(error)
    : [{ path: "", message: error.message }]

/** The log of a setup: what changed and the table's warnings, or why it was refused and what stays. */
const logOutcome = (outcome: ReloadOutcome) =>
  Effect.gen(function*() {
    if (outcome._tag === "Refused") {
      // Boot has nothing to keep: generation 0 is no table at all.
      const kept = outcome.generation === 0 ? "no runtimes are set up" : `generation ${outcome.generation} stays in force`
      yield* Effect.logError(`runtime configuration refused (${outcome.trigger}); ${kept}`)
      for (const problem of problemsOf(outcome.error)) yield* Effect.logError(locatedText(problem))
      return
    }
    const { diff, generation, table } = outcome.update
    yield* Effect.logInfo(
      `runtimes set up (${outcome.trigger}), generation ${generation}: ${describeDiff(diff)}; default runtime ${table.defaultRuntime}`
    )
    for (const warning of table.warnings) yield* Effect.logWarning(locatedText(warning))
  })

/** A table with no runtimes, for boot's diff: everything it sets up is added. */
const noTable = (like: RuntimeTable): RuntimeTable => ({ ...like, runtimes: [], warnings: [] })

const defaultDebounce = Duration.millis(200)

/** A table the registry set up, and the configuration it set it up from. */
interface SetUpTable {
  readonly table: RuntimeTable
  readonly config: DaemonConfig
}

/** A setup a caller of the managed `RuntimeRegistry` asked for with a configuration of its own. */
interface GivenConfig {
  readonly config: DaemonConfig
  readonly request: Registry.SetupRequest | undefined
}

/** One setup to make, and where its outcome goes. */
interface Job {
  readonly trigger: ReloadTrigger
  /** Without one, the configuration is read from the source. */
  readonly given: GivenConfig | undefined
  readonly done: Deferred.Deferred<TableUpdate, ReloadError>
}

const managed = (source: ConfigSource) =>
  Effect.gen(function*() {
    const registry = yield* Registry.RuntimeRegistry
    const fs = yield* FileSystem.FileSystem
    const outcomes = yield* PubSub.unbounded<ReloadOutcome>()
    const jobs = yield* Queue.unbounded<Job>()
    const report = (outcome: ReloadOutcome) => Effect.andThen(logOutcome(outcome), PubSub.publish(outcomes, outcome))

    /** A table set up as asked, with the configuration it came from. */
    const setUp = (trigger: ReloadTrigger, given: GivenConfig | undefined): Effect.Effect<SetUpTable, ReloadError> => {
      const step = trigger === "boot" ? registry.boot : registry.reload
      const withConfig = (config: DaemonConfig) => (table: RuntimeTable) => ({ table, config })
      return given === undefined
        ? Effect.flatMap(
          loadSource(source),
          ({ config, problems }) => Effect.map(step(config, { upstreamProblems: problems }), withConfig(config))
        ).pipe(Effect.provideService(FileSystem.FileSystem, fs))
        : Effect.map(step(given.config, given.request), withConfig(given.config))
    }

    /** The update a table makes after `previous`. */
    const updateFrom = (previous: TableUpdate | undefined, { config, table }: SetUpTable): TableUpdate => ({
      generation: (previous?.generation ?? 0) + 1,
      table,
      dataRoot: config.dataRoot,
      diff: diffTables(previous?.table ?? noTable(table), table)
    })

    // Listening starts before boot, so that a SIGHUP during boot reloads right after it rather than being lost.
    const hangups = yield* (yield* HangupSignal).listen
    // Boot fails the layer, as `Registry.layerBooted` does.
    const booted = yield* setUp("boot", undefined).pipe(
      Effect.tapError((error) => report({ _tag: "Refused", trigger: "boot", error, generation: 0 })),
      Effect.map((table) => updateFrom(undefined, table))
    )
    yield* report({ _tag: "Applied", trigger: "boot", update: booted })
    const tables = yield* SubscriptionRef.make(booted)

    /** Sets up as `job` asks and puts the result in force, or refuses it; reports either way. */
    const apply = (job: Job) =>
      Effect.gen(function*() {
        const previous = yield* SubscriptionRef.get(tables)
        return yield* setUp(job.trigger, job.given).pipe(
          Effect.matchEffect({
            onFailure: (error) =>
              Effect.andThen(
                report({ _tag: "Refused", trigger: job.trigger, error, generation: previous.generation }),
                Effect.fail(error)
              ),
            onSuccess: (setUpTable) => {
              const update = updateFrom(previous, setUpTable)
              return SubscriptionRef.set(tables, update).pipe(
                Effect.andThen(report({ _tag: "Applied", trigger: job.trigger, update })),
                Effect.as(update)
              )
            }
          })
        )
      })

    /**
     * Serves the queued jobs in order; consecutive reloads from the source
     * waiting together are one setup, which reads the file after all of them
     * were asked for. When the fiber is interrupted (the scope closes), the
     * queue is shut and every job not yet served is interrupted, so that no
     * caller waits for ever, not even one asking after the close.
     */
    const serveJobs = Effect.forever(Effect.gen(function*() {
      const waiting = yield* Queue.takeAll(jobs)
      let next = 0
      while (next < waiting.length) {
        const job = waiting[next]!
        let end = next + 1
        if (job.given === undefined) while (end < waiting.length && waiting[end]!.given === undefined) end++
        const unserved = waiting.slice(next)
        const result = yield* Effect.exit(apply(job)).pipe(
          Effect.onInterrupt(() => Effect.forEach(unserved, (job) => Deferred.interrupt(job.done)))
        )
        for (const served of waiting.slice(next, end)) yield* Deferred.done(served.done, result)
        next = end
      }
    }))
    yield* Effect.forkScoped(serveJobs)
    // A finalizer of the scope rather than of the fiber: a fiber interrupted before it ever ran runs none of its own.
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Queue.clear(jobs), (left) =>
        Effect.andThen(Effect.forEach(left, (job) => Deferred.interrupt(job.done)), Queue.shutdown(jobs)))
    )

    const enqueue = (trigger: ReloadTrigger, given?: GivenConfig) =>
      Effect.gen(function*() {
        const done = yield* Deferred.make<TableUpdate, ReloadError>()
        if (!(yield* Queue.offer(jobs, { trigger, given, done }))) yield* Deferred.interrupt(done)
        return done
      })

    yield* Effect.forkScoped(Stream.runForEach(hangups, () => enqueue("SIGHUP")))
    if (source.watch === true) yield* watchFile(source, () => enqueue("file change"))

    /** A setup with a configuration given, through the queue; only a setup can fail it, never loading. */
    const setUpGiven = (config: DaemonConfig, request: Registry.SetupRequest | undefined) =>
      Effect.flatMap(enqueue("request", { config, request }), Deferred.await).pipe(
        Effect.map((update) => update.table),
        Effect.catchIf(isLoadError, Effect.die)
      )

    const service: ManagedRegistry = {
      reload: Effect.flatMap(enqueue("request"), Deferred.await),
      current: SubscriptionRef.get(tables),
      changes: SubscriptionRef.changes(tables),
      outcomes: Effect.map(PubSub.subscribe(outcomes), Stream.fromSubscription)
    }
    /**
     * The same registry, its setups queued with the others so that
     * generations and changes stay true. Its `boot` is a reload: only the
     * layer's own boot removes stale scripts, before anything can be using
     * this table's.
     */
    const runtimes: Registry.RuntimeRegistry = { ...registry, boot: setUpGiven, reload: setUpGiven }
    return Context.make(ManagedRegistry, service).pipe(Context.add(Registry.RuntimeRegistry, runtimes))
  })

const isLoadError = (error: ReloadError): error is ConfigLoadError =>
  error._tag === "ConfigFileError" || error._tag === "ConfigSyntaxError" || error._tag === "ConfigSchemaError"

/**
 * Whether the file is there and empty. dockerd reads an empty daemon.json as
 * no settings at all, which a SIGHUP still applies; but after a change it is
 * most likely a file being written (truncated, not yet filled), and applying
 * it would remove every runtime until the write is done.
 */
const isEmptyFile = (fs: FileSystem.FileSystem, file: string) =>
  fs.stat(file).pipe(Effect.map((info) => info.type === "File" && Number(info.size) === 0), Effect.orElseSucceed(() => false))

/**
 * Reloads once the file has been quiet for the debounce time after a change,
 * unless it is empty then (the next change reloads). A watch that cannot
 * start fails the layer (it was asked for); one that breaks later is logged,
 * and SIGHUP still works.
 */
const watchFile = (source: ConfigSource, reload: () => Effect.Effect<unknown>) =>
  Effect.gen(function*() {
    const file = source.file ?? defaultConfigFile
    const fs = yield* FileSystem.FileSystem
    const changes = yield* (yield* ConfigWatcher).watch(file)
    yield* changes.pipe(
      Stream.debounce(source.debounce ?? defaultDebounce),
      Stream.runForEach(() =>
        Effect.flatMap(isEmptyFile(fs, file), (empty) =>
          empty ? Effect.logInfo(`${file} is empty: not reloaded until it is written (SIGHUP applies it as it is)`) : reload())
      ),
      Effect.catch((error) => Effect.logWarning(`${error.message}; reloading on SIGHUP only`)),
      Effect.forkScoped
    )
  })

export type ManagedRegistryServices =
  | SetupServices
  | PathLookup
  | FileSystem.FileSystem
  | HangupSignal
  | ConfigWatcher

/**
 * The managed registry and the `RuntimeRegistry` it manages. Building it
 * boots (failing as boot fails); closing its scope stops the signal handler,
 * the watch and the reload fiber.
 */
export const layer = (
  source: ConfigSource,
  options: Registry.RegistryOptions = {}
): Layer.Layer<ManagedRegistry | Registry.RuntimeRegistry, ReloadError | ConfigWatchError, ManagedRegistryServices> =>
  Layer.effectContext(managed(source)).pipe(Layer.provide(Registry.layer(options)))
