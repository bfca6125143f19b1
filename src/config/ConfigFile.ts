/**
 * Reading daemon.json from disk.
 *
 * As with dockerd's `--config-file`: a file that was asked for must exist; the
 * default `/etc/docker/daemon.json` is optional, and without it the defaults
 * apply. The file may be UTF-8, or UTF-16 with a byte order mark (what Windows
 * editors and PowerShell tend to write), which dockerd accepts too.
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import type * as PlatformError from "effect/PlatformError"
import { describeSystemError } from "../host/SystemError.ts"
import { emptyDaemonConfig, parseDaemonJson, type ParsedDaemonJson } from "./DaemonConfig.ts"
import { ConfigFileError, type ConfigSchemaError, type ConfigSyntaxError } from "./Errors.ts"

/** Where dockerd looks for daemon.json on Linux when not told otherwise. */
export const defaultConfigFile = "/etc/docker/daemon.json"

/**
 * The largest daemon.json read. Real ones are a few kilobytes; the bound keeps
 * a mistaken `--config /dev/zero` or a runaway file from exhausting memory.
 */
export const maxConfigBytes = 16 * 1024 * 1024

/** Why daemon.json could not be loaded: unreadable, not JSON, or values of the wrong type. */
export type ConfigLoadError = ConfigFileError | ConfigSyntaxError | ConfigSchemaError

/** The configuration read, and where from. */
export interface LoadedDaemonConfig extends ParsedDaemonJson {
  /** The file read, or `undefined` when the default file does not exist and the defaults apply. */
  readonly file: string | undefined
}

const readFailure = (file: string, error: PlatformError.PlatformError): ConfigFileError =>
  new ConfigFileError({ file, reason: describeSystemError(error) })

/**
 * The file's text. A byte order mark selects UTF-16; it is kept in the text
 * for `parseDaemonJson` to drop, which drops a UTF-8 one the same way.
 */
const decodeText = (file: string, bytes: Uint8Array): Effect.Effect<string, ConfigFileError> => {
  const encoding = bytes[0] === 0xff && bytes[1] === 0xfe
    ? "utf-16le"
    : bytes[0] === 0xfe && bytes[1] === 0xff
    ? "utf-16be"
    : "utf-8"
  return Effect.try({
    try: () => new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes),
    catch: () => new ConfigFileError({ file, reason: `not valid ${encoding.toUpperCase()} text` })
  })
}

/**
 * The text of a configuration file at `path` whose facts `info` gave: only a
 * regular file is read (a FIFO or a device could block or never end), and
 * only up to `maxConfigBytes`. UTF-8, or UTF-16 with a byte order mark.
 * daemon.json and the files `import` reads share it.
 */
const readRegularFile = (fs: FileSystem.FileSystem, path: string, info: FileSystem.File.Info) =>
  Effect.gen(function*() {
    if (info.type !== "File") return yield* new ConfigFileError({ file: path, reason: "not a regular file" })
    if (info.size > BigInt(maxConfigBytes)) {
      return yield* new ConfigFileError({ file: path, reason: `larger than ${maxConfigBytes} bytes` })
    }
    const bytes = yield* fs.readFile(path).pipe(Effect.mapError((error) => readFailure(path, error)))
    return yield* decodeText(path, bytes)
  })

/** The text of the configuration file `path`, which must exist (see `readRegularFile`). */
export const readConfigText = (path: string): Effect.Effect<string, ConfigFileError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* fs.stat(path).pipe(Effect.mapError((error) => readFailure(path, error)))
    return yield* readRegularFile(fs, path, info)
  })

/**
 * Reads and parses daemon.json: `file` when given, which must exist, else
 * `/etc/docker/daemon.json` if it exists.
 */
export const loadDaemonConfig = (
  file?: string
): Effect.Effect<LoadedDaemonConfig, ConfigLoadError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = file ?? defaultConfigFile
    const info = yield* fs.stat(path).pipe(
      Effect.catchReason(
        "PlatformError",
        "NotFound",
        (_, error) => file === undefined ? Effect.succeed(undefined) : Effect.fail(error)
      ),
      Effect.mapError((error) => readFailure(path, error))
    )
    if (info === undefined) return { file: undefined, config: emptyDaemonConfig, setKeys: new Set() }
    const text = yield* readRegularFile(fs, path, info)
    const parsed = yield* Effect.fromResult(parseDaemonJson(text, path))
    return { file: path, ...parsed }
  })
