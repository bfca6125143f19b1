/**
 * Which file a path names right now, precisely enough to tell when it has
 * been replaced or changed: the device, inode, size, and modification and
 * status-change times in nanoseconds.
 *
 * The features cache keys on it, so an unchanged runtime is not probed again
 * while an upgraded (replaced), touched or newly installed one is; a reload
 * uses it to tell which wrapper scripts changed since they were checked.
 * Effect's `FileSystem.File.Info` has no status-change time (ctime), which
 * `chmod`, `chown`, `touch -m` with an old date and a rename over the file all
 * set, so this reads `stat` from `node:fs` directly, with `bigint` times.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { lstatSync } from "node:fs"
import { stat } from "node:fs/promises"

export interface FileIdentity {
  /**
   * The identity of the file `path` names (following symlinks), as a string
   * that is equal for the same unchanged file; `undefined` when there is no
   * file to identify (missing, unreadable). Never fails.
   */
  readonly identify: (path: string) => Effect.Effect<string | undefined>
  /**
   * The identities of the entries the paths name themselves (`lstat`: a
   * symbolic link is the link), their type, mode and owner included, in the
   * order given; `undefined` for a path naming nothing. One synchronous
   * sweep: a thousand paths take about 3 ms this way, and 15–30 ms as one
   * asynchronous call each, in round trips through libuv's thread pool.
   */
  readonly identifyEntries: (paths: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string | undefined>>
}

export const FileIdentity: Context.Service<FileIdentity, FileIdentity> = Context.Service<FileIdentity>(
  "oci-runtimes/FileIdentity"
)

const entryIdentity = (path: string): string | undefined => {
  try {
    const info = lstatSync(path, { bigint: true, throwIfNoEntry: false })
    return info && `${info.dev}:${info.ino}:${info.mode}:${info.uid}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`
  } catch {
    return undefined
  }
}

/** The real files, through `stat(2)` and `lstat(2)`. */
export const layer: Layer.Layer<FileIdentity> = Layer.succeed(FileIdentity)({
  identify: (path) =>
    Effect.promise(() =>
      stat(path, { bigint: true }).then(
        (info) => `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`,
        () => undefined
      )
    ),
  identifyEntries: (paths) => Effect.sync(() => paths.map(entryIdentity))
})

/**
 * Identities from functions, for tests that state which files exist and when
 * they change; entries are identified as files are unless told otherwise.
 */
export const layerFrom = (
  identify: (path: string) => string | undefined,
  identifyEntry: (path: string) => string | undefined = identify
): Layer.Layer<FileIdentity> =>
  Layer.succeed(FileIdentity)({
    identify: (path) => Effect.sync(() => identify(path)),
    identifyEntries: (paths) => Effect.sync(() => paths.map(identifyEntry))
  })
