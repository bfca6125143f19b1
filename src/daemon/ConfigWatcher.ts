/**
 * Changes to the configuration file, for a daemon that reloads when its
 * daemon.json is edited (opt-in: dockerd itself reloads on SIGHUP only).
 *
 * The directory is watched rather than the file: editors and configuration
 * tools save by writing a new file and renaming it over the old one, after
 * which a watch on the file would follow the old, deleted inode and miss
 * every later change.
 */
import { lstatSync, readlinkSync, realpathSync, type Stats, statSync, watch as watchDirectory } from "node:fs"
import { posix } from "node:path"
import { getSystemErrorMessage } from "node:util"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** The configuration file cannot be watched, or its watch broke. */
export class ConfigWatchError extends Schema.TaggedError<ConfigWatchError>()("ConfigWatchError", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot watch ${this.file} for changes: ${this.reason}`
  }
}

export interface ConfigWatcher {
  /**
   * Watches `file` from when this runs until its scope closes; the stream
   * gives an element after each change to it — written, created, removed or
   * replaced by a rename — and fails if the watch breaks. Not debounced (one
   * save is often several events), but changes nobody has read yet count as
   * one.
   */
  readonly watch: (file: string) => Effect.Effect<Stream.Stream<void, ConfigWatchError>, ConfigWatchError, Scope.Scope>
}

export const ConfigWatcher: Context.Service<ConfigWatcher, ConfigWatcher> = Context.Service<ConfigWatcher>(
  "oci-runtimes/ConfigWatcher"
)

const reasonOf = (error: unknown): string => {
  const errno = (error as NodeJS.ErrnoException | undefined)?.errno
  return typeof errno === "number" ? getSystemErrorMessage(errno) : String((error as Error | undefined)?.message ?? error)
}

/**
 * What to watch for `path`: its directory, for changes to its name; and when
 * it is a symbolic link, for changes to the first part of the link too (a
 * Kubernetes ConfigMap links `daemon.json` to `..data/daemon.json` and swaps
 * the `..data` link), and the directory of the file it leads to, for changes
 * to that file. Decided once: a link later pointed elsewhere is not followed.
 */
const watchedNames = (path: string): ReadonlyMap<string, ReadonlySet<string>> => {
  const names = new Map([[posix.dirname(path), new Set([posix.basename(path)])]])
  if (!lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) return names
  const [first] = readlinkSync(path, "utf8").split("/").filter((part) => part !== "")
  if (first !== undefined) names.get(posix.dirname(path))!.add(first)
  const real = realpathSync(path)
  const beside = names.get(posix.dirname(real)) ?? new Set<string>()
  names.set(posix.dirname(real), beside.add(posix.basename(real)))
  return names
}

/** Whether `directory` is still the directory `watched` was. */
const isSameDirectory = (directory: string, watched: Stats): boolean => {
  const now = statSync(directory, { throwIfNoEntry: false })
  return now !== undefined && now.ino === watched.ino && now.dev === watched.dev
}

/**
 * The real file system, through `node:fs`'s `watch` (inotify on Linux),
 * installed before `watch` returns, so no change after it is missed.
 */
export const layer: Layer.Layer<ConfigWatcher> = Layer.succeed(ConfigWatcher)({
  watch: (file) =>
    Effect.gen(function*() {
      const path = posix.resolve(file)
      const broken = (error: unknown) => new ConfigWatchError({ file: path, reason: reasonOf(error) })
      const changes = yield* Queue.sliding<void, ConfigWatchError>(1)
      const directories = yield* Effect.try({ try: () => watchedNames(path), catch: broken })
      for (const [directory, names] of directories) {
        const watcher = yield* Effect.acquireRelease(
          Effect.try({
            try: () => {
              const watched = statSync(directory)
              return watchDirectory(directory, (_, changed) => {
                if (changed !== null && names.has(changed)) Queue.offerUnsafe(changes, undefined)
                // inotify says no more once the directory itself is gone; Node reports that under its own name.
                if (changed === posix.basename(directory) && !isSameDirectory(directory, watched)) {
                  Queue.failCauseUnsafe(changes, Cause.fail(broken(`${directory} was removed`)))
                }
              })
            },
            catch: broken
          }),
          (watcher) => Effect.sync(() => watcher.close())
        )
        watcher.on("error", (error) => Queue.failCauseUnsafe(changes, Cause.fail(broken(error))))
      }
      return Stream.fromQueue(changes)
    })
})

/** Changes made by hand: `change` reaches every watch of that file at the time. */
export interface ScriptedConfigWatcher {
  readonly layer: Layer.Layer<ConfigWatcher>
  readonly change: (file: string) => Effect.Effect<void>
  /** The files watched now, one entry per watch. */
  readonly watched: Effect.Effect<ReadonlyArray<string>>
}

export const makeScripted: Effect.Effect<ScriptedConfigWatcher> = Effect.sync(() => {
  const watches = new Set<{ readonly file: string; readonly changes: Queue.Queue<void, ConfigWatchError> }>()
  const watch = (file: string) =>
    Effect.gen(function*() {
      const entry = { file, changes: yield* Queue.sliding<void, ConfigWatchError>(1) }
      yield* Effect.acquireRelease(Effect.sync(() => watches.add(entry)), () => Effect.sync(() => watches.delete(entry)))
      return Stream.fromQueue(entry.changes)
    })
  return {
    layer: Layer.succeed(ConfigWatcher)({ watch }),
    change: (file) =>
      Effect.sync(() => {
        for (const entry of watches) if (entry.file === file) Queue.offerUnsafe(entry.changes, undefined)
      }),
    watched: Effect.sync(() => [...watches].map((entry) => entry.file))
  }
})
