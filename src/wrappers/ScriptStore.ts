/**
 * Writes wrapper scripts (see `WrapperScript`) and manages their directory.
 */
import { randomBytes } from "node:crypto"
import { posix } from "node:path"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import type { PlatformError } from "effect/PlatformError"
import * as Schema from "effect/Schema"
import { describeSystemError } from "../host/SystemError.ts"
import type { WrapperPlan } from "./WrapperScript.ts"

/** The scripts directory could not be wiped, created or inspected. */
export class ScriptsDirectoryError extends Schema.TaggedError<ScriptsDirectoryError>()("ScriptsDirectoryError", {
  directory: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `runtime scripts directory ${this.directory}: ${this.reason}`
  }
}

/** The wrapper script of runtime `runtimeName` could not be written to `path`. */
export class WrapperWriteError extends Schema.TaggedError<WrapperWriteError>()("WrapperWriteError", {
  runtimeName: Schema.String,
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `runtime ${this.runtimeName}: cannot write wrapper script ${this.path}: ${this.reason}`
  }
}

/** Only the owner (root, for dockerd) may read, run or list the scripts. */
const ownerOnly = 0o700

const directoryError = (directory: string) => (error: PlatformError) =>
  new ScriptsDirectoryError({ directory, reason: describeSystemError(error) })

/** `mkdir -p` then an explicit chmod, since the umask may have narrowed the mode. */
const createDirectory = (fs: FileSystem.FileSystem, dir: string) =>
  fs.makeDirectory(dir, { recursive: true, mode: ownerOnly }).pipe(Effect.andThen(fs.chmod(dir, ownerOnly)))

/**
 * At boot: removes the directory with everything in it and creates it empty.
 * No container survives a daemon start still running a script from before.
 */
export const resetScriptsDirectory = Effect.fnUntraced(function*(dir: string) {
  const fs = yield* FileSystem.FileSystem
  yield* fs.remove(dir, { recursive: true, force: true }).pipe(
    Effect.andThen(createDirectory(fs, dir)),
    Effect.mapError(directoryError(dir))
  )
})

/**
 * On configuration reload: creates the directory when it is missing and leaves
 * an existing one, and every script in it, alone: running containers may still
 * use scripts from the previous configuration.
 */
export const ensureScriptsDirectory = Effect.fnUntraced(function*(dir: string) {
  const fs = yield* FileSystem.FileSystem
  const info = yield* fs.stat(dir).pipe(
    Effect.map((info) => info.type),
    Effect.catchTag("PlatformError", (error) =>
      error.reason._tag === "NotFound"
        ? createDirectory(fs, dir).pipe(Effect.as("Directory" as const))
        : Effect.fail(error)),
    Effect.mapError(directoryError(dir))
  )
  if (info !== "Directory") {
    return yield* new ScriptsDirectoryError({ directory: dir, reason: `exists and is a ${info}, not a directory` })
  }
})

/**
 * Writes `plan` unless a file of that name already exists, and returns the
 * script's path, to hand to the shim as `BinaryName`.
 *
 * The name is a hash of the content, so an existing file already holds this
 * script, and leaving it alone guarantees a script that running containers use
 * is never modified. A new script is written to a temporary file in the same
 * directory, synced, made 0700 and renamed into place, so nobody ever sees a
 * partial script under the final name.
 */
export const writeWrapper = Effect.fnUntraced(function*(runtimeName: string, plan: WrapperPlan) {
  const fs = yield* FileSystem.FileSystem
  const temp = posix.join(posix.dirname(plan.path), `.${randomBytes(8).toString("hex")}.tmp`)
  const write = Effect.scoped(
    fs.open(temp, { flag: "wx", mode: ownerOnly }).pipe(
      Effect.tap((file) => file.writeAll(new TextEncoder().encode(plan.content))),
      Effect.tap((file) => file.sync)
    )
  ).pipe(
    Effect.andThen(fs.chmod(temp, ownerOnly)),
    Effect.andThen(fs.rename(temp, plan.path)),
    Effect.onError(() => Effect.ignore(fs.remove(temp, { force: true })))
  )
  yield* fs.exists(plan.path).pipe(
    Effect.flatMap((exists) => exists ? Effect.void : write),
    Effect.mapError((error) => new WrapperWriteError({ runtimeName, path: plan.path, reason: describeSystemError(error) }))
  )
  return plan.path
})
