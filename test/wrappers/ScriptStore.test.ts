import { execFileSync } from "node:child_process"
import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import {
  installScripts,
  prepareScriptsDirectory,
  removeStaleScripts,
  type ScriptRequest,
  ScriptsDirectoryError,
  WrapperWriteError
} from "../../src/wrappers/ScriptStore.ts"
import { planWrapper, scriptsDirectory } from "../../src/wrappers/WrapperScript.ts"
import { fileSystemWith, ownedBy, systemError } from "./fileSystems.ts"
import * as Layer from "effect/Layer"
import * as FileIdentity from "../../src/host/FileIdentity.ts"

const me = process.geteuid!()
/** `nobody`: a user other than us, for the real `chown` cases; the suite runs as root, as its private containerd needs. */
const nobody = 65534

/** A fresh data root, removed when the test ends. */
const dataRoot = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "wrappers-" }))

/** A fresh, prepared scripts directory. */
const preparedDirectory = Effect.gen(function*() {
  const dir = scriptsDirectory(yield* dataRoot)
  yield* prepareScriptsDirectory(dir, me)
  return dir
})

const lstatOf = (path: string) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.lstat(path))
const modeOf = (path: string) => Effect.map(lstatOf(path), (info) => info.mode & 0o7777)

const listing = (dir: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readDirectory(dir)).pipe(Effect.map((names) => names.sort()))

const crunRequest = (dir: string, args: ReadonlyArray<string> = ["--debug"]): ScriptRequest => ({
  runtimeName: "crun",
  plan: planWrapper(dir, "crun", "/usr/bin/crun", args)
})

layer(Layer.merge(NodeFileSystem.layer, FileIdentity.layer))("prepareScriptsDirectory", (it) => {
  it.effect("creates the directory, and missing parents, with mode 0700 and no warning", () =>
    Effect.gen(function*() {
      const dir = scriptsDirectory(posix.join(yield* dataRoot, "not-yet"))
      expect(yield* prepareScriptsDirectory(dir, me)).toBeUndefined()
      expect(yield* modeOf(dir)).toBe(0o700)
      expect(yield* listing(dir)).toEqual([])
    }))

  it.effect("trusts an existing 0700 directory of ours and leaves its contents alone", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      yield* fs.writeFileString(posix.join(dir, "kept"), "")
      expect(yield* prepareScriptsDirectory(dir, me)).toBeUndefined()
      expect(yield* listing(dir)).toEqual(["kept"])
    }))

  it.effect("narrows a world-writable directory of ours to 0700 and says so", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      yield* fs.chmod(dir, 0o777)
      expect(yield* prepareScriptsDirectory(dir, me)).toBe(
        `runtime scripts directory ${dir} had mode 0777; changed it to 0700`
      )
      expect(yield* modeOf(dir)).toBe(0o700)
    }))

  it.effect("narrows a group-readable directory with the sticky bit to 0700", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      yield* fs.chmod(dir, 0o1750)
      expect(yield* prepareScriptsDirectory(dir, me)).toContain("had mode 01750")
      expect(yield* modeOf(dir)).toBe(0o700)
    }))

  it.effect("refuses a symbolic link, without writing anything where it points", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const root = yield* dataRoot
      const target = posix.join(root, "elsewhere")
      yield* fs.makeDirectory(target, { mode: 0o700 })
      const dir = scriptsDirectory(root)
      yield* fs.symlink(target, dir)
      const error = yield* Effect.flip(prepareScriptsDirectory(dir, me))
      expect(error).toBeInstanceOf(ScriptsDirectoryError)
      expect(error.message).toBe(
        `runtime scripts directory ${dir}: is a symbolic link; refusing to follow it, so that no script is written elsewhere`
      )
      expect(yield* listing(target)).toEqual([])
    }))

  it.effect("refuses a regular file in the directory's place", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = scriptsDirectory(yield* dataRoot)
      yield* fs.writeFileString(dir, "")
      const error = yield* Effect.flip(prepareScriptsDirectory(dir, me))
      expect(error).toBeInstanceOf(ScriptsDirectoryError)
      expect(error.reason).toBe("is a File, not a directory")
    }))

  it.effect("fails with ScriptsDirectoryError when the data root is a regular file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const root = posix.join(yield* dataRoot, "file")
      yield* fs.writeFileString(root, "")
      const dir = scriptsDirectory(root)
      const error = yield* Effect.flip(prepareScriptsDirectory(dir, me))
      expect(error).toBeInstanceOf(ScriptsDirectoryError)
      expect(error.message).toBe(`runtime scripts directory ${dir}: not a directory`)
    }))

  it.effect("refuses a directory another user owns, as a file system reporting that owner shows", () =>
    Effect.gen(function*() {
      const dir = yield* preparedDirectory
      const error = yield* Effect.flip(
        prepareScriptsDirectory(dir, me).pipe(Effect.provide(ownedBy(me + 1, (path) => path === dir)))
      )
      expect(error).toBeInstanceOf(ScriptsDirectoryError)
      expect(error.reason).toBe(`is owned by uid ${me + 1}, not by uid ${me}: its owner could replace the scripts`)
      expect(yield* modeOf(dir)).toBe(0o700)
    }))

  it.effect("refuses a directory chowned to nobody, and leaves its mode as it was", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      yield* fs.chown(dir, nobody, nobody)
      yield* fs.chmod(dir, 0o777)
      const error = yield* Effect.flip(prepareScriptsDirectory(dir, me))
      expect(error.reason).toContain(`is owned by uid ${nobody}`)
      expect(yield* modeOf(dir)).toBe(0o777)
    }))
})

/**
 * The real file system, recording the path of every call to `method`: what
 * `installScripts` opens (temporary files, the directory to sync), reads or
 * looks at.
 */
const recordingCalls = (method: "open" | "readFile" | "lstat") => {
  const paths: Array<string> = []
  const layer = fileSystemWith((real) => {
    const original = real[method] as (path: string, ...rest: Array<unknown>) => Effect.Effect<never>
    return {
      [method]: (path: string, ...rest: Array<unknown>) => Effect.andThen(Effect.sync(() => paths.push(path)), original(path, ...rest))
    }
  })
  return { paths, layer }
}

layer(Layer.merge(NodeFileSystem.layer, FileIdentity.layer))("installScripts", (it) => {
  it.effect("writes the planned script with mode 0700, owned by us, and leaves no temporary file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      const request = crunRequest(dir)
      expect(yield* installScripts(dir, [request], me)).toEqual([])
      expect(yield* fs.readFileString(request.plan.path)).toBe(request.plan.content)
      const info = yield* lstatOf(request.plan.path)
      expect({ mode: info.mode & 0o7777, uid: info.uid }).toEqual({ mode: 0o700, uid: Option.some(me) })
      expect(yield* listing(dir)).toEqual([posix.basename(request.plan.path)])
    }))

  it.effect("keeps a script that is exactly ours: same file, not rewritten", () =>
    Effect.gen(function*() {
      const dir = yield* preparedDirectory
      const request = crunRequest(dir)
      yield* installScripts(dir, [request], me)
      const before = yield* lstatOf(request.plan.path)
      expect(yield* installScripts(dir, [request], me)).toEqual([])
      const after = yield* lstatOf(request.plan.path)
      expect({ ino: after.ino, mtime: after.mtime }).toEqual({ ino: before.ino, mtime: before.mtime })
    }))

  /** Installs the script, lets `tamper` change it, installs again: the rewrite message and the script's state. */
  const afterTampering = (tamper: (path: string) => Effect.Effect<void, unknown, FileSystem.FileSystem>) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      const request = crunRequest(dir)
      yield* installScripts(dir, [request], me)
      yield* tamper(request.plan.path)
      const replaced = yield* installScripts(dir, [request], me)
      const info = yield* lstatOf(request.plan.path)
      return {
        path: request.plan.path,
        replaced,
        type: info.type,
        mode: info.mode & 0o7777,
        uid: info.uid,
        intact: (yield* fs.readFileString(request.plan.path)) === request.plan.content,
        listing: yield* listing(dir)
      }
    })

  const restored = (path: string) => ({
    type: "File",
    mode: 0o700,
    uid: Option.some(me),
    intact: true,
    listing: [posix.basename(path)]
  })

  it.effect("rewrites a script whose content was changed, keeping its size, and says why", () =>
    Effect.gen(function*() {
      const result = yield* afterTampering((path) =>
        Effect.flatMap(FileSystem.FileSystem, (fs) =>
          Effect.flatMap(fs.readFileString(path), (text) => fs.writeFileString(path, text.replace("crun", "evil")))
        )
      )
      expect(result).toMatchObject(restored(result.path))
      expect(result.replaced).toEqual([{
        runtimeName: "crun",
        message: `wrapper script ${result.path} was rewritten: its content differed`
      }])
    }))

  it.effect("rewrites a script of another length without reading it", () =>
    Effect.gen(function*() {
      const result = yield* afterTampering((path) =>
        Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(path, "#!/bin/sh\nexec /tmp/evil\n"))
      )
      expect(result).toMatchObject(restored(result.path))
      expect(result.replaced[0]?.message).toContain("its content differed")
    }))

  it.effect("rewrites a script others may write", () =>
    Effect.gen(function*() {
      const result = yield* afterTampering((path) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.chmod(path, 0o777)))
      expect(result).toMatchObject(restored(result.path))
      expect(result.replaced[0]?.message).toContain("it had mode 0777")
    }))

  it.effect("rewrites a script whose file system reports another owner", () =>
    Effect.gen(function*() {
      const dir = yield* preparedDirectory
      const request = crunRequest(dir)
      yield* installScripts(dir, [request], me)
      const replaced = yield* installScripts(dir, [request], me).pipe(
        Effect.provide(ownedBy(me + 1, (path) => path === request.plan.path))
      )
      expect(replaced[0]?.message).toContain(`it was owned by uid ${me + 1}`)
    }))

  it.effect("rewrites a planted script chowned to nobody, so that we own it again", () =>
    Effect.gen(function*() {
      const result = yield* afterTampering((path) =>
        Effect.flatMap(FileSystem.FileSystem, (fs) => fs.chown(path, nobody, nobody))
      )
      expect(result).toMatchObject(restored(result.path))
      expect(result.replaced[0]?.message).toContain(`it was owned by uid ${nobody}`)
    }))

  it.effect("replaces a symbolic link under the script's name, leaving its target alone", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const root = yield* dataRoot
      const target = posix.join(root, "target")
      const result = yield* afterTampering((path) =>
        Effect.andThen(fs.writeFileString(target, "untouched"), Effect.andThen(fs.remove(path), fs.symlink(target, path)))
      )
      expect(result).toMatchObject(restored(result.path))
      expect(result.replaced[0]?.message).toContain("it was a SymbolicLink, not a regular file")
      expect(yield* fs.readFileString(target)).toBe("untouched")
    }))

  it.effect("replaces a FIFO under the script's name without opening it", () =>
    Effect.gen(function*() {
      const result = yield* afterTampering((path) =>
        Effect.flatMap(FileSystem.FileSystem, (fs) =>
          Effect.andThen(fs.remove(path), Effect.sync(() => execFileSync("mkfifo", [path])))
        )
      )
      expect(result).toMatchObject(restored(result.path))
      expect(result.replaced[0]?.message).toContain("it was a FIFO")
    }))

  it.effect("fails with WrapperWriteError when a directory holds the script's name, leaving no temporary file", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      const request = crunRequest(dir)
      yield* fs.makeDirectory(posix.join(request.plan.path, "inside"), { recursive: true })
      const error = yield* Effect.flip(installScripts(dir, [request], me))
      expect(error).toBeInstanceOf(WrapperWriteError)
      expect(error).toMatchObject({ runtimeName: "crun", path: request.plan.path })
      expect(yield* listing(dir)).toEqual([posix.basename(request.plan.path)])
    }))

  it.effect("fails with WrapperWriteError naming the runtime and path when the directory is missing", () =>
    Effect.gen(function*() {
      const dir = scriptsDirectory(yield* dataRoot)
      const request = crunRequest(dir)
      const error = yield* Effect.flip(installScripts(dir, [request], me))
      expect(error).toBeInstanceOf(WrapperWriteError)
      expect(error).toMatchObject({ runtimeName: "crun", path: request.plan.path, reason: "no such file or directory" })
    }))

  it.effect("writes the script of a hostile runtime name inside the scripts directory", () =>
    Effect.gen(function*() {
      const root = yield* dataRoot
      const dir = scriptsDirectory(root)
      yield* prepareScriptsDirectory(dir, me)
      const request = { runtimeName: "../../x", plan: planWrapper(dir, "../../x", "/usr/bin/crun", []) }
      yield* installScripts(dir, [request], me)
      expect(yield* listing(dir)).toEqual([posix.basename(request.plan.path)])
      expect(yield* listing(root)).toEqual(["runtimes"])
    }))

  it.effect("writes a path several runtimes share once, and syncs the directory once after the renames", () =>
    Effect.gen(function*() {
      const dir = yield* preparedDirectory
      const { layer, paths: opened } = recordingCalls("open")
      const requests = [crunRequest(dir), crunRequest(dir), crunRequest(dir, ["--other"])]
      yield* installScripts(dir, requests, me).pipe(Effect.provide(layer))
      expect(opened.filter((path) => path.endsWith(".tmp"))).toHaveLength(2)
      expect(opened.filter((path) => path === dir)).toHaveLength(1)
      expect(opened.at(-1)).toBe(dir)
    }))

  it.effect("opens nothing when every script is already exactly ours", () =>
    Effect.gen(function*() {
      const dir = yield* preparedDirectory
      const requests = [crunRequest(dir), crunRequest(dir, ["--other"])]
      yield* installScripts(dir, requests, me)
      const { layer, paths: opened } = recordingCalls("open")
      yield* installScripts(dir, requests, me).pipe(Effect.provide(layer))
      expect(opened).toEqual([])
    }))

  it.effect("reads every existing script when given no record of earlier checks", () =>
    Effect.gen(function*() {
      const dir = yield* preparedDirectory
      const requests = [crunRequest(dir), crunRequest(dir, ["--other"])]
      yield* installScripts(dir, requests, me)
      const { layer, paths: read } = recordingCalls("readFile")
      yield* installScripts(dir, requests, me).pipe(Effect.provide(layer))
      expect(read.sort()).toEqual(requests.map((request) => request.plan.path).sort())
    }))

  it.effect("with a record of earlier checks, reads only the script changed since, and rewrites it", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      const [changed, untouched] = [crunRequest(dir), crunRequest(dir, ["--other"])]
      const verified = new Map<string, string>()
      yield* installScripts(dir, [changed, untouched], me, verified)
      // Same size, same mode and owner: only the content differs, and the modification time.
      const content = yield* fs.readFileString(changed.plan.path)
      yield* fs.writeFileString(changed.plan.path, content.replace("crun", "evil"))
      yield* fs.utimes(changed.plan.path, new Date(0), new Date(0))
      const { layer, paths: read } = recordingCalls("readFile")
      const replaced = yield* installScripts(dir, [changed, untouched], me, verified).pipe(Effect.provide(layer))
      expect(read).toEqual([changed.plan.path])
      expect(replaced.map((script) => script.message)).toEqual([
        `wrapper script ${changed.plan.path} was rewritten: its content differed`
      ])
      expect(yield* fs.readFileString(changed.plan.path)).toBe(changed.plan.content)
    }))

  it.effect("with a record of earlier checks, still rewrites a script replaced by another file since", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      const request = crunRequest(dir)
      const verified = new Map<string, string>()
      yield* installScripts(dir, [request], me, verified)
      const impostor = posix.join(dir, "impostor")
      yield* fs.writeFileString(impostor, request.plan.content.replace("crun", "evil"), { mode: 0o700 })
      yield* fs.chmod(impostor, 0o700)
      yield* fs.rename(impostor, request.plan.path)
      const replaced = yield* installScripts(dir, [request], me, verified)
      expect(replaced).toHaveLength(1)
      expect(yield* fs.readFileString(request.plan.path)).toBe(request.plan.content)
    }))

  it.effect("with a record of earlier checks, confirms unchanged scripts by their identity alone, without the file system", () =>
    Effect.gen(function*() {
      const dir = yield* preparedDirectory
      const requests = [crunRequest(dir), crunRequest(dir, ["--other"])]
      const verified = new Map<string, string>()
      yield* installScripts(dir, requests, me, verified)
      const { layer, paths: looked } = recordingCalls("lstat")
      expect(yield* installScripts(dir, requests, me, verified).pipe(Effect.provide(layer))).toEqual([])
      expect(looked).toEqual([])
    }))

  it.effect("with a record of earlier checks, rewrites a script whose mode was changed since", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      const request = crunRequest(dir)
      const verified = new Map<string, string>()
      yield* installScripts(dir, [request], me, verified)
      yield* fs.chmod(request.plan.path, 0o777)
      const replaced = yield* installScripts(dir, [request], me, verified)
      expect(replaced.map((script) => script.message)).toEqual([
        `wrapper script ${request.plan.path} was rewritten: it had mode 0777`
      ])
      expect(yield* modeOf(request.plan.path)).toBe(0o700)
    }))

  it.effect("with a record of earlier checks, writes a script removed since", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      const request = crunRequest(dir)
      const verified = new Map<string, string>()
      yield* installScripts(dir, [request], me, verified)
      yield* fs.remove(request.plan.path)
      expect(yield* installScripts(dir, [request], me, verified)).toEqual([])
      expect(yield* fs.readFileString(request.plan.path)).toBe(request.plan.content)
    }))

  it.effect("the record of earlier checks ends up naming exactly the scripts last requested", () =>
    Effect.gen(function*() {
      const dir = yield* preparedDirectory
      const [first, second] = [crunRequest(dir), crunRequest(dir, ["--other"])]
      const verified = new Map<string, string>()
      yield* installScripts(dir, [first, second], me, verified)
      expect([...verified.keys()].sort()).toEqual([first.plan.path, second.plan.path].sort())
      yield* installScripts(dir, [second], me, verified)
      expect([...verified.keys()]).toEqual([second.plan.path])
    }))

  it.effect("checks and writes scripts concurrently, not one after another", () =>
    Effect.gen(function*() {
      const dir = yield* preparedDirectory
      let inFlight = 0
      let most = 0
      const layer = fileSystemWith((real) => ({
        lstat: (path) =>
          Effect.acquireUseRelease(
            Effect.sync(() => most = Math.max(most, ++inFlight)),
            () => Effect.andThen(Effect.yieldNow, real.lstat(path)),
            () => Effect.sync(() => inFlight--)
          )
      }))
      const requests = Array.from({ length: 50 }, (_, i) => crunRequest(dir, [`--root=/run/${i}`]))
      yield* installScripts(dir, requests, me).pipe(Effect.provide(layer))
      expect(most).toBeGreaterThan(1)
      expect(yield* listing(dir)).toHaveLength(50)
    }))
})

layer(Layer.merge(NodeFileSystem.layer, FileIdentity.layer))("removeStaleScripts", (it) => {
  it.effect("removes every entry not named, directories and temporary files included, and keeps the named", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      const request = crunRequest(dir)
      yield* installScripts(dir, [request], me)
      yield* fs.writeFileString(posix.join(dir, "crun.OLDSUFFIX"), "#!/bin/sh\n")
      yield* fs.writeFileString(posix.join(dir, ".0123456789abcdef.tmp"), "half a scr")
      yield* fs.makeDirectory(posix.join(dir, "stale-dir", "deeper"), { recursive: true })
      const kept = posix.basename(request.plan.path)
      expect(yield* removeStaleScripts(dir, new Set([kept]))).toEqual([])
      expect(yield* listing(dir)).toEqual([kept])
    }))

  it.effect("reports what it could not remove, one message each, and removes the rest", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* preparedDirectory
      for (const name of ["a", "b", "c"]) yield* fs.writeFileString(posix.join(dir, name), "")
      const stubborn = posix.join(dir, "b")
      const failing = fileSystemWith((real) => ({
        remove: (path, options) =>
          path === stubborn ? Effect.fail(systemError("PermissionDenied", "remove", path)) : real.remove(path, options)
      }))
      expect(yield* removeStaleScripts(dir, new Set()).pipe(Effect.provide(failing))).toEqual([
        `cannot remove old script ${stubborn}: permission denied`
      ])
      expect(yield* listing(dir)).toEqual(["b"])
    }))

  it.effect("reports a directory it cannot list", () =>
    Effect.gen(function*() {
      const dir = scriptsDirectory(yield* dataRoot)
      expect(yield* removeStaleScripts(dir, new Set())).toEqual([
        `cannot list ${dir} to remove old scripts: no such file or directory`
      ])
    }))
})
