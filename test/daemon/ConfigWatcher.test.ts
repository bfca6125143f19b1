import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as ConfigWatcher from "../../src/daemon/ConfigWatcher.ts"

/** The next change, or none within `millis`. */
const nextOf = (changes: Stream.Stream<void, ConfigWatcher.ConfigWatchError>, millis = 5_000) =>
  changes.pipe(Stream.take(1), Stream.runHead, Effect.timeoutOption(millis), Effect.map(Option.flatten))

/** A scratch directory with a daemon.json in it, and the real watcher on that file. */
const watching = Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const dir = yield* fs.makeTempDirectoryScoped({ prefix: "watch-" })
  const file = posix.join(dir, "daemon.json")
  writeFileSync(file, "{}")
  const watcher = yield* Effect.provide(ConfigWatcher.ConfigWatcher, ConfigWatcher.layer)
  const changes = yield* watcher.watch(file)
  const next = (millis?: number) => nextOf(changes, millis)
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

  it.effect("through a symbolic link, reports an edit of the file it leads to", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "watch-" })
      mkdirSync(posix.join(dir, "real"))
      writeFileSync(posix.join(dir, "real", "daemon.json"), "{}")
      symlinkSync("real/daemon.json", posix.join(dir, "daemon.json"))
      const watcher = yield* Effect.provide(ConfigWatcher.ConfigWatcher, ConfigWatcher.layer)
      const changes = yield* watcher.watch(posix.join(dir, "daemon.json"))
      writeFileSync(posix.join(dir, "real", "daemon.json"), '{"debug": true}')
      expect(Option.isSome(yield* nextOf(changes))).toBe(true)
    }))

  it.effect("reports a Kubernetes ConfigMap update: the ..data link beside the file swapped", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "watch-" })
      for (const version of ["..v1", "..v2", "..v3"]) {
        mkdirSync(posix.join(dir, version))
        writeFileSync(posix.join(dir, version, "daemon.json"), "{}")
      }
      symlinkSync("..v1", posix.join(dir, "..data"))
      symlinkSync("..data/daemon.json", posix.join(dir, "daemon.json"))
      const watcher = yield* Effect.provide(ConfigWatcher.ConfigWatcher, ConfigWatcher.layer)
      const changes = yield* watcher.watch(posix.join(dir, "daemon.json"))
      // As the kubelet updates it: a new link renamed over the old one, then the old version removed; twice.
      for (const [next, previous] of [["..v2", "..v1"], ["..v3", "..v2"]]) {
        symlinkSync(next!, posix.join(dir, "..data_tmp"))
        renameSync(posix.join(dir, "..data_tmp"), posix.join(dir, "..data"))
        rmSync(posix.join(dir, previous!), { recursive: true })
        expect(Option.isSome(yield* nextOf(changes))).toBe(true)
      }
    }))

  it.effect("a link that leads nowhere yet is watched: the file it will lead to, once written there, is a change", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "watch-" })
      symlinkSync("real.json", posix.join(dir, "daemon.json"))
      const watcher = yield* Effect.provide(ConfigWatcher.ConfigWatcher, ConfigWatcher.layer)
      const changes = yield* watcher.watch(posix.join(dir, "daemon.json"))
      writeFileSync(posix.join(dir, "real.json"), "{}")
      expect(Option.isSome(yield* nextOf(changes))).toBe(true)
    }))

  it.effect("fails, saying so, once the directory watched is removed: inotify reports nothing after", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped({ prefix: "watch-" })
      const config = posix.join(dir, "etc")
      mkdirSync(config)
      writeFileSync(posix.join(config, "daemon.json"), "{}")
      const watcher = yield* Effect.provide(ConfigWatcher.ConfigWatcher, ConfigWatcher.layer)
      const changes = yield* watcher.watch(posix.join(config, "daemon.json"))
      rmSync(config, { recursive: true })
      const error = yield* Effect.flip(Stream.runDrain(changes).pipe(Effect.timeout("5 seconds")))
      expect(error.message).toBe(`cannot watch ${config}/daemon.json for changes: ${config} was removed`)
    }))

  it.effect("cannot watch a file in a directory that does not exist, and says why", () =>
    Effect.gen(function*() {
      const watcher = yield* Effect.provide(ConfigWatcher.ConfigWatcher, ConfigWatcher.layer)
      const error = yield* Effect.flip(Effect.scoped(watcher.watch("/nonexistent/daemon.json")))
      expect(error.message).toBe("cannot watch /nonexistent/daemon.json for changes: no such file or directory")
    }))
})
