/**
 * File systems for tests: the real one, with some operations replaced. Each
 * replacement receives the real file system, so it can fail, count or alter
 * what the real operation does.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PlatformError from "effect/PlatformError"

export type Overrides = (real: FileSystem.FileSystem) => Partial<FileSystem.FileSystem>

/** The real (Node) file system with `overrides` on top. */
export const fileSystemWith = (overrides: Overrides): Layer.Layer<FileSystem.FileSystem> =>
  Layer.effect(FileSystem.FileSystem)(
    Effect.map(FileSystem.FileSystem, (real) => FileSystem.FileSystem.of({ ...real, ...overrides(real) }))
  ).pipe(Layer.provide(NodeFileSystem.layer))

/** A failed system call, as Node's file system reports one. */
export const systemError = (
  tag: PlatformError.SystemErrorTag,
  method: string,
  path: string,
  errno?: { readonly errno: number; readonly code: string }
) =>
  PlatformError.systemError({
    _tag: tag,
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    ...(errno === undefined ? {} : { cause: Object.assign(new Error(errno.code), errno) })
  })

/**
 * The real file system, except that `lstat` reports `uid` as the owner of
 * what `owned` selects: another user's file, without being root to chown it.
 */
export const ownedBy = (uid: number, owned: (path: string) => boolean): Layer.Layer<FileSystem.FileSystem> =>
  fileSystemWith((real) => ({
    lstat: (path) => Effect.map(real.lstat(path), (info) => owned(path) ? { ...info, uid: Option.some(uid) } : info)
  }))
