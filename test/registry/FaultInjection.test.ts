/**
 * The file system failing under a setup, through a Layer wrapping the real
 * one: every operation the scripts need, one case each, and a disk filling up
 * in the middle of a write. A failed setup is a typed error, leaves no
 * temporary or partial file, keeps the previous table, and the next good
 * setup recovers.
 */
import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import { runtimeNamed } from "../../src/registry/RuntimeTable.ts"
import { ScriptsDirectoryError, WrapperWriteError } from "../../src/wrappers/ScriptStore.ts"
import { fileSystemWith, systemError } from "../wrappers/fileSystems.ts"
import { listing, readText, sandbox, withRegistry } from "./harness.ts"

/** ENOSPC as libuv numbers it, so the error reads as Go's would. */
const enospc = { errno: -28, code: "ENOSPC" }

type Fault =
  | "lstat"
  | "makeDirectory"
  | "chmod"
  | "open"
  | "writeAll"
  | "sync"
  | "rename"
  | "readFile"
  | "half-written (ENOSPC)"

/**
 * A file with one method replaced. `Object.create` keeps the real file's
 * methods and getters (`sync` is one) working on its descriptor.
 */
const fileWith = (file: FileSystem.File, property: "writeAll" | "sync", value: unknown): FileSystem.File =>
  Object.create(file, { [property]: { value } })

/**
 * The real file system, failing `fault` for paths inside `scope` while
 * `armed()` — an operation the scripts need breaking between two setups.
 */
const faulty = (fault: Fault, scope: string, armed: () => boolean) => {
  const hits = (path: string) => armed() && (path === scope || path.startsWith(`${scope}/`))
  const fail = (method: string, path: string) => Effect.fail(systemError("Unknown", method, path, enospc))
  return fileSystemWith((real) => ({
    lstat: (path) => fault === "lstat" && hits(path) ? fail("lstat", path) : real.lstat(path),
    makeDirectory: (path, options) =>
      fault === "makeDirectory" && hits(path) ? fail("makeDirectory", path) : real.makeDirectory(path, options),
    chmod: (path, mode) => fault === "chmod" && hits(path) ? fail("chmod", path) : real.chmod(path, mode),
    rename: (from, to) => fault === "rename" && hits(to) ? fail("rename", to) : real.rename(from, to),
    readFile: (path) => fault === "readFile" && hits(path) ? fail("readFile", path) : real.readFile(path),
    open: (path, options) => {
      if (fault === "open" && hits(path)) return fail("open", path)
      return Effect.map(real.open(path, options), (file) => {
        if (!hits(path)) return file
        if (fault === "sync") return fileWith(file, "sync", fail("sync", path))
        if (fault === "writeAll") return fileWith(file, "writeAll", () => fail("writeAll", path))
        if (fault === "half-written (ENOSPC)") {
          return fileWith(file, "writeAll", (bytes: Uint8Array) =>
            Effect.andThen(file.writeAll(bytes.subarray(0, bytes.length >> 1)), fail("writeAll", path)))
        }
        return file
      })
    }
  }))
}

/**
 * Boots `x` (a wrapper script), touches it, then, with `fault` armed, reloads a
 * configuration that keeps `x`'s script and needs a new one for `y` in a
 * directory whose mode needs repair; then disarms and reloads again.
 * The directory is removed first for `makeDirectory`, the one case that needs it.
 */
const reloadUnder = (fault: Fault) =>
  Effect.gen(function*() {
    const { config, scripts } = yield* sandbox
    const x = { path: "/usr/bin/crun", runtimeArgs: ["--debug"] }
    const before = config({ runtimes: { x } })
    const after = config({ runtimes: { x, y: { path: "/usr/bin/crun", runtimeArgs: ["--systemd-cgroup"] } } })
    let armed = false
    return yield* withRegistry({ fileSystem: faulty(fault, scripts, () => armed) }, (registry) =>
      Effect.gen(function*() {
        const booted = yield* registry.boot(before)
        const fs = yield* FileSystem.FileSystem
        // A changed modification time makes the reload read `x`'s script again rather than trust its record.
        yield* fs.utimes(runtimeNamed(booted, "x")?.wrapper?.path ?? "", new Date(0), new Date(0))
        yield* fault === "makeDirectory" ? fs.remove(scripts, { recursive: true }) : fs.chmod(scripts, 0o777)
        armed = true
        const error = yield* Effect.flip(registry.reload(after))
        armed = false
        const kept = (yield* registry.table) === booted
        const leftAfterFailure = yield* listing(scripts).pipe(Effect.orElseSucceed((): Array<string> => []))
        const recovered = yield* registry.reload(after)
        const y = runtimeNamed(recovered, "y")?.wrapper
        return {
          error,
          kept,
          leftAfterFailure,
          yName: posix.basename(y?.path ?? ""),
          yIntact: (yield* readText(y?.path ?? "")) === y?.content,
          current: (yield* registry.table) === recovered
        }
      }))
  })

const isSetupFileError = (error: unknown): error is ScriptsDirectoryError | WrapperWriteError =>
  error instanceof ScriptsDirectoryError || error instanceof WrapperWriteError

const faults: ReadonlyArray<Fault> = [
  "lstat",
  "makeDirectory",
  "chmod",
  "open",
  "writeAll",
  "sync",
  "rename",
  "readFile",
  "half-written (ENOSPC)"
]

layer(NodeFileSystem.layer, { excludeTestServices: true })("a reload while the file system fails", (it) => {
  for (const fault of faults) {
    it.effect(
      `${fault} failing: a typed error, no temporary or partial file, the previous table kept, and the next reload recovers`,
      () =>
        Effect.gen(function*() {
          const result = yield* reloadUnder(fault)
          expect(isSetupFileError(result.error)).toBe(true)
          expect(result.error.message).toContain("no space left on device")
          expect(result.kept).toBe(true)
          expect(result.leftAfterFailure.filter((name) => name.endsWith(".tmp"))).toEqual([])
          expect(result.leftAfterFailure).not.toContain(result.yName)
          expect(result.yIntact).toBe(true)
          expect(result.current).toBe(true)
        })
    )
  }

  it.effect("a disk filling up mid-write names the runtime and script it could not write", () =>
    Effect.gen(function*() {
      const { error } = yield* reloadUnder("half-written (ENOSPC)")
      expect(error).toBeInstanceOf(WrapperWriteError)
      expect(error).toMatchObject({ runtimeName: "y", reason: "no space left on device" })
    }))
})

layer(NodeFileSystem.layer, { excludeTestServices: true })("a boot whose pruning fails", (it) => {
  /** Boots `x`, plants a stale script, then boots again with `remove` or `readDirectory` failing. */
  const bootUnder = (fault: "remove" | "readDirectory") =>
    Effect.gen(function*() {
      const { config, scripts } = yield* sandbox
      const boot = config({ runtimes: { x: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      let armed = false
      const failing = fileSystemWith((real) => ({
        remove: (path, options) =>
          armed && fault === "remove" ? Effect.fail(systemError("PermissionDenied", "remove", path)) : real.remove(path, options),
        readDirectory: (path, options) =>
          armed && fault === "readDirectory"
            ? Effect.fail(systemError("PermissionDenied", "readDirectory", path))
            : real.readDirectory(path, options)
      }))
      return yield* withRegistry({ fileSystem: failing }, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(boot)
          yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(posix.join(scripts, "x.STALE"), ""))
          armed = true
          const table = yield* registry.boot(boot)
          return { table, current: yield* registry.table, scripts }
        }))
    })

  it.effect("cannot remove a stale script: the boot succeeds, and a warning names the file", () =>
    Effect.gen(function*() {
      const { current, scripts, table } = yield* bootUnder("remove")
      expect(current).toBe(table)
      expect(table.warnings.map(({ message, path }) => ({ path, message }))).toContainEqual({
        path: "data-root",
        message: `cannot remove old script ${posix.join(scripts, "x.STALE")}: permission denied`
      })
    }))

  it.effect("cannot list the directory: the boot succeeds, and a warning says so", () =>
    Effect.gen(function*() {
      const { scripts, table } = yield* bootUnder("readDirectory")
      expect(table.warnings.map(({ message }) => message)).toContain(
        `cannot list ${scripts} to remove old scripts: permission denied`
      )
    }))
})
