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
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { describeNodeError } from "../host/SystemError.ts"

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


/**
 * What to watch for `path`: its directory, for changes to its name; and when
 * it is a symbolic link, for changes to the first part of a relative link
 * too (a Kubernetes ConfigMap links `daemon.json` to `..data/daemon.json` and
 * swaps the `..data` link), and the directory of the file it leads to, if it
 * leads anywhere yet, for changes to that file. Decided once: a link later
 * pointed elsewhere is not followed.
 */
const watchedNames = (path: string): ReadonlyMap<string, ReadonlySet<string>> => {
  const names = new Map([[posix.dirname(path), new Set([posix.basename(path)])]])
  if (!lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) return names
  const link = readlinkSync(path, "utf8")
  const [first] = link.split("/").filter((part) => part !== "")
  if (!posix.isAbsolute(link) && first !== undefined) names.get(posix.dirname(path))!.add(first)
  const real = realTarget(path)
  if (real === undefined) return names
  const beside = names.get(posix.dirname(real)) ?? new Set<string>()
  names.set(posix.dirname(real), beside.add(posix.basename(real)))
  return names
}

/** Where the link at `path` leads, `undefined` while it leads nowhere. */
const realTarget = (path: string): string | undefined => {
  try {
    return realpathSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw error
  }
}

/** Whether `directory` is still the directory `watched` was (a directory that cannot be looked at counts as gone). */
const isSameDirectory = (directory: string, watched: Stats): boolean => {
  try {
    const now = statSync(directory, { throwIfNoEntry: false })
    return now !== undefined && now.ino === watched.ino && now.dev === watched.dev
  } catch {
    return false
  }
}

/**
 * The real file system, through `node:fs`'s `watch` (inotify on Linux),
 * installed before `watch` returns, so no change after it is missed.
 */
export const layer: Layer.Layer<ConfigWatcher> = Layer.succeed(ConfigWatcher)({
  watch: (file) =>
    Effect.gen(function*() {
      const path = posix.resolve(file)
      const broken = (error: unknown) => new ConfigWatchError({ file: path, reason: describeNodeError(error) })
      const changes = yield* Queue.sliding<void, ConfigWatchError>(1)
      const directories = yield* Effect.try({ try: () => watchedNames(path), catch: broken })
      for (const [directory, names] of directories) {
        const watcher = yield* Effect.acquireRelease(
          Effect.try({
            try: () => {
              const watched = statSync(directory)
              // The file's own directory: once it is gone, inotify says no more (Node reports that under its
              // name). A link's target directory may go (a ConfigMap removes the version it swapped out).
              const isFilesDirectory = directory === posix.dirname(path)
              return watchDirectory(directory, (_, changed) => {
                if (changed !== null && names.has(changed)) Queue.offerUnsafe(changes, undefined)
                if (isFilesDirectory && changed === posix.basename(directory) && !isSameDirectory(directory, watched)) {
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
