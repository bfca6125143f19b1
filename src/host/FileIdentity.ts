/**
 * Which file a path names right now, precisely enough to tell when it has
 * been replaced or changed: the device, inode, size, and modification and
 * status-change times in nanoseconds.
 *
 * The features cache keys on it, so an unchanged runtime is not probed again
 * while an upgraded (replaced), touched or newly installed one is. Effect's
 * `FileSystem.File.Info` has no status-change time (ctime), which `chmod`,
 * `chown`, `touch -m` with an old date and a rename over the file all set, so
 * this reads `stat` from `node:fs` directly, with `bigint` times.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { stat } from "node:fs/promises"

export interface FileIdentity {
  /**
   * The identity of the file `path` names (following symlinks), as a string
   * that is equal for the same unchanged file; `undefined` when there is no
   * file to identify (missing, unreadable). Never fails.
   */
  readonly identify: (path: string) => Effect.Effect<string | undefined>
}

export const FileIdentity: Context.Service<FileIdentity, FileIdentity> = Context.Service<FileIdentity>(
  "oci-runtimes/FileIdentity"
)

/** The real files, through `stat(2)`. */
export const layer: Layer.Layer<FileIdentity> = Layer.succeed(FileIdentity)({
  identify: (path) =>
    Effect.promise(() =>
      stat(path, { bigint: true }).then(
        (info) => `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`,
        () => undefined
      )
    )
})

/** Identities from a function, for tests that state which files exist and when they change. */
export const layerFrom = (identify: (path: string) => string | undefined): Layer.Layer<FileIdentity> =>
  Layer.succeed(FileIdentity)({ identify: (path) => Effect.sync(() => identify(path)) })
