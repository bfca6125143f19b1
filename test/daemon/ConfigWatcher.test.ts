import { renameSync, writeFileSync } from "node:fs"
import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as ConfigWatcher from "../../src/daemon/ConfigWatcher.ts"

/** A scratch directory with a daemon.json in it, and the real watcher on that file. */
const watching = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "watch-" })
  const file = posix.join(dir, "daemon.json")
  writeFileSync(file, "{}")
  const watcher = yield* Effect.provide(ConfigWatcher.ConfigWatcher, ConfigWatcher.layer)
  const changes = yield* watcher.watch(file)
  /** The next change, or none within `millis`. */
  const next = (millis = 5_000) => changes.pipe(Stream.take(1), Stream.runHead, Effect.timeoutOption(millis), Effect.map(Option.flatten))
  return { dir, file, next }
})

// Live clock: these watch the real file system.
layer(NodeFileSystem.layer, { excludeTestServices: true })("ConfigWatcher on the real file system", (it) => {
  it.effect("reports a file replaced by a rename, as editors and configuration tools save", () =>
    Effect.gen(function*() {
      const { dir, file, next } = yield* watching
      writeFileSync(posix.join(dir, ".daemon.json.swp"), '{"debug": true}')
      renameSync(posix.join(dir, ".daemon.json.swp"), file)
      expect(Option.isSome(yield* next())).toBe(true)
      // Still watching the new file: a watch on the old inode would see nothing now.
      writeFileSync(file, "{}")
      expect(Option.isSome(yield* next())).toBe(true)
    }))

  it.effect("reports a write to the file in place", () =>
    Effect.gen(function*() {
      const { file, next } = yield* watching
      writeFileSync(file, '{"debug": true}')
      expect(Option.isSome(yield* next())).toBe(true)
    }))

  it.effect("does not report changes to other files of the directory", () =>
    Effect.gen(function*() {
      const { dir, next } = yield* watching
      writeFileSync(posix.join(dir, "other.json"), "{}")
      expect(yield* next(300)).toEqual(Option.none())
    }))

  it.effect("cannot watch a file in a directory that does not exist, and says why", () =>
    Effect.gen(function*() {
      const watcher = yield* Effect.provide(ConfigWatcher.ConfigWatcher, ConfigWatcher.layer)
      const error = yield* Effect.flip(Effect.scoped(watcher.watch("/nonexistent/daemon.json")))
      expect(error.message).toBe("cannot watch /nonexistent/daemon.json for changes: no such file or directory")
    }))
})
