import { describe, expect, it, layer } from "@effect/vitest"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import * as PathLookup from "../../src/host/PathLookup.ts"

const root = mkdtempSync(join(tmpdir(), "path-lookup-"))
const first = join(root, "first")
const second = join(root, "second")
mkdirSync(first)
mkdirSync(second)
const executable = (path: string) => {
  writeFileSync(path, "#!/bin/sh\n")
  chmodSync(path, 0o755)
}
executable(join(second, "my-runtime"))
writeFileSync(join(first, "my-runtime"), "not executable\n")
executable(join(root, "shadow"))
writeFileSync(join(root, "plain-file"), "")

const lookupWithPath = (path: string) =>
  PathLookup.layer.pipe(
    Layer.provide(NodeFileSystem.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { PATH: path } })))
  )

const lookPath = (file: string) => Effect.flatMap(PathLookup.PathLookup, (lookup) => lookup.lookPath(file))

describe("searchDirectories", () => {
  it("keeps absolute entries in order and skips empty and relative ones", () => {
    expect(PathLookup.searchDirectories("/usr/bin::bin:./x:/sbin")).toEqual(["/usr/bin", "/sbin"])
  })
})

// `shadow` is in `root`, which a relative entry names from the working directory.
layer(lookupWithPath(`${first}::.:${relative(process.cwd(), root)}:${second}`))("PathLookup.layer", (it) => {
  it.effect("returns a name with a slash as it is when it is an executable file", () =>
    Effect.gen(function*() {
      expect(yield* lookPath(join(second, "my-runtime"))).toBe(join(second, "my-runtime"))
    }))

  it.effect("finds a bare name in the first PATH directory that has it executable", () =>
    Effect.gen(function*() {
      expect(yield* lookPath("my-runtime")).toBe(join(second, "my-runtime"))
    }))

  it.effect("does not search empty or relative PATH entries", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(lookPath("shadow"))
      expect(error.reason).toBe(`exec: "shadow": executable file not found in $PATH`)
    }))

  it.effect("says a missing path does not exist, in Go's words", () =>
    Effect.gen(function*() {
      const missing = join(root, "missing")
      const error = yield* Effect.flip(lookPath(missing))
      expect(error).toBeInstanceOf(PathLookup.ExecutableNotFound)
      expect(error.message).toBe(`exec: "${missing}": stat ${missing}: no such file or directory`)
    }))

  it.effect("refuses a directory", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(lookPath(first))
      expect(error.message).toBe(`exec: "${first}": is a directory`)
    }))

  it.effect("refuses a file without an execute bit", () =>
    Effect.gen(function*() {
      const file = join(root, "plain-file")
      const error = yield* Effect.flip(lookPath(file))
      expect(error.message).toBe(`exec: "${file}": permission denied`)
    }))
})

layer(lookupWithPath("/usr/bin"))("PathLookup.layer errors", (it) => {
  it.effect("names the errno of a failed stat, such as a file used as a directory", () =>
    Effect.gen(function*() {
      const below = join(root, "plain-file", "runtime")
      const error = yield* Effect.flip(lookPath(below))
      expect(error.message).toBe(`exec: "${below}": stat ${below}: not a directory`)
    }))
})
