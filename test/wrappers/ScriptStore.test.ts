import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import {
  ensureScriptsDirectory,
  resetScriptsDirectory,
  ScriptsDirectoryError,
  WrapperWriteError,
  writeWrapper
} from "../../src/wrappers/ScriptStore.ts"
import { planWrapper, scriptsDirectory } from "../../src/wrappers/WrapperScript.ts"

/** A fresh data root, removed when the test ends. */
const dataRoot = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "wrappers-" }))

const modeOf = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.stat(path)).pipe(Effect.map((info) => info.mode & 0o7777))

const listing = (dir: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readDirectory(dir)).pipe(Effect.map((names) => names.sort()))

layer(NodeFileSystem.layer)("ScriptStore", (it) => {
  it.effect("reset creates the directory, and missing parents, with mode 0700", () =>
    Effect.gen(function*() {
      const dir = scriptsDirectory(posix.join(yield* dataRoot, "not-yet"))
      yield* resetScriptsDirectory(dir)
      expect(yield* modeOf(dir)).toBe(0o700)
      expect(yield* listing(dir)).toEqual([])
    }))

  it.effect("reset wipes the scripts of the previous run", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = scriptsDirectory(yield* dataRoot)
      yield* resetScriptsDirectory(dir)
      yield* writeWrapper("crun", planWrapper(dir, "crun", "/usr/bin/crun", ["--debug"]))
      yield* fs.makeDirectory(posix.join(dir, "stray"))
      yield* resetScriptsDirectory(dir)
      expect(yield* listing(dir)).toEqual([])
      expect(yield* modeOf(dir)).toBe(0o700)
    }))

  it.effect("ensure creates a missing directory with mode 0700", () =>
    Effect.gen(function*() {
      const dir = scriptsDirectory(yield* dataRoot)
      yield* ensureScriptsDirectory(dir)
      expect(yield* modeOf(dir)).toBe(0o700)
    }))

  it.effect("ensure keeps the existing scripts", () =>
    Effect.gen(function*() {
      const dir = scriptsDirectory(yield* dataRoot)
      yield* resetScriptsDirectory(dir)
      const path = yield* writeWrapper("crun", planWrapper(dir, "crun", "/usr/bin/crun", ["--debug"]))
      yield* ensureScriptsDirectory(dir)
      expect(yield* listing(dir)).toEqual([posix.basename(path)])
    }))

  it.effect("writes the planned script with mode 0700 and returns its path", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = scriptsDirectory(yield* dataRoot)
      yield* resetScriptsDirectory(dir)
      const plan = planWrapper(dir, "crun", "/usr/bin/crun", ["--debug"])
      expect(yield* writeWrapper("crun", plan)).toBe(plan.path)
      expect(yield* fs.readFileString(plan.path)).toBe(plan.content)
      expect(yield* modeOf(plan.path)).toBe(0o700)
    }))

  it.effect("leaves no temporary file behind", () =>
    Effect.gen(function*() {
      const dir = scriptsDirectory(yield* dataRoot)
      yield* resetScriptsDirectory(dir)
      const path = yield* writeWrapper("crun", planWrapper(dir, "crun", "/usr/bin/crun", ["--debug"]))
      expect(yield* listing(dir)).toEqual([posix.basename(path)])
    }))

  it.effect("does not rewrite a script whose file already exists", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = scriptsDirectory(yield* dataRoot)
      yield* resetScriptsDirectory(dir)
      const plan = planWrapper(dir, "crun", "/usr/bin/crun", ["--debug"])
      yield* writeWrapper("crun", plan)
      yield* fs.writeFileString(plan.path, "altered")
      const before = yield* fs.stat(plan.path)
      yield* writeWrapper("crun", plan)
      expect(yield* fs.readFileString(plan.path)).toBe("altered")
      expect((yield* fs.stat(plan.path)).ino).toEqual(before.ino)
    }))

  it.effect("writes the script of a hostile runtime name inside the scripts directory", () =>
    Effect.gen(function*() {
      const root = yield* dataRoot
      const dir = scriptsDirectory(root)
      yield* resetScriptsDirectory(dir)
      const path = yield* writeWrapper("../../x", planWrapper(dir, "../../x", "/usr/bin/crun", []))
      expect(yield* listing(dir)).toEqual([posix.basename(path)])
      expect(yield* listing(root)).toEqual(["runtimes"])
    }))

  it.effect("reset fails with ScriptsDirectoryError when the data root is a regular file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const root = posix.join(yield* dataRoot, "file")
      yield* fs.writeFileString(root, "")
      const dir = scriptsDirectory(root)
      const error = yield* Effect.flip(resetScriptsDirectory(dir))
      expect(error).toBeInstanceOf(ScriptsDirectoryError)
      expect(error.directory).toBe(dir)
      expect(error.message).toBe(`runtime scripts directory ${dir}: not a directory`)
    }))

  it.effect("ensure fails with ScriptsDirectoryError when the data root is a regular file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const root = posix.join(yield* dataRoot, "file")
      yield* fs.writeFileString(root, "")
      const dir = scriptsDirectory(root)
      const error = yield* Effect.flip(ensureScriptsDirectory(dir))
      expect(error).toBeInstanceOf(ScriptsDirectoryError)
      expect(error.directory).toBe(dir)
    }))

  it.effect("ensure fails with ScriptsDirectoryError when the directory is a regular file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = scriptsDirectory(yield* dataRoot)
      yield* fs.writeFileString(dir, "")
      const error = yield* Effect.flip(ensureScriptsDirectory(dir))
      expect(error).toBeInstanceOf(ScriptsDirectoryError)
      expect(error.reason).toContain("not a directory")
    }))

  it.effect("fails with WrapperWriteError naming the runtime and path when the directory is missing", () =>
    Effect.gen(function*() {
      const dir = scriptsDirectory(yield* dataRoot)
      const plan = planWrapper(dir, "crun", "/usr/bin/crun", ["--debug"])
      const error = yield* Effect.flip(writeWrapper("crun", plan))
      expect(error).toBeInstanceOf(WrapperWriteError)
      expect(error).toMatchObject({ runtimeName: "crun", path: plan.path })
      expect(error.reason).toBe("no such file or directory")
    }))
})
