import { chmodSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileIdentity from "../../src/host/FileIdentity.ts"

let dir = ""
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "file-identity-"))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const identify = (path: string) =>
  Effect.runPromise(Effect.flatMap(FileIdentity.FileIdentity, (files) => files.identify(path)).pipe(
    Effect.provide(FileIdentity.layer)
  ))

const identifyEntries = (paths: ReadonlyArray<string>) =>
  Effect.runPromise(Effect.flatMap(FileIdentity.FileIdentity, (files) => files.identifyEntries(paths)).pipe(
    Effect.provide(FileIdentity.layer)
  ))

/** A file at `name` in the test's directory, with mode 0700. */
const file = (name: string, content = "#!/bin/sh\n") => {
  const path = join(dir, name)
  writeFileSync(path, content, { mode: 0o700 })
  return path
}

describe("identify", () => {
  it("is the same for an unchanged file", async () => {
    const path = file("runc")
    expect(await identify(path)).toBe(await identify(path))
  })

  it("follows a symbolic link to the file it names", async () => {
    const path = file("runc")
    symlinkSync(path, join(dir, "link"))
    expect(await identify(join(dir, "link"))).toBe(await identify(path))
  })

  it("changes when the file is replaced by another one of the same content", async () => {
    const path = file("runc")
    const before = await identify(path)
    renameSync(file("new-runc"), path)
    expect(await identify(path)).not.toBe(before)
  })

  it("is undefined for a path naming nothing", async () => {
    expect(await identify(join(dir, "missing"))).toBeUndefined()
  })
})

describe("identifyEntries", () => {
  it("answers in the order of the paths, undefined for a path naming nothing", async () => {
    const [a, b] = [file("a"), file("b")]
    const [first, missing, second] = await identifyEntries([a, join(dir, "missing"), b])
    expect([first, missing, second]).toEqual([...await identifyEntries([a]), undefined, ...await identifyEntries([b])])
    expect(first).not.toBe(second)
  })

  it("identifies a symbolic link as the link, not as the file it names", async () => {
    const path = file("script")
    symlinkSync(path, join(dir, "link"))
    const [target, link] = await identifyEntries([path, join(dir, "link")])
    expect(link).toBeDefined()
    expect(link).not.toBe(target)
  })

  it("changes when the mode changes, although the content and modification time do not", async () => {
    const path = file("script")
    const [before] = await identifyEntries([path])
    chmodSync(path, 0o777)
    expect(await identifyEntries([path])).not.toEqual([before])
  })

  it("changes when the file is written, even to the same size", async () => {
    const path = file("script", "#!/bin/sh\nexec crun\n")
    const [before] = await identifyEntries([path])
    writeFileSync(path, "#!/bin/sh\nexec evil\n")
    expect(await identifyEntries([path])).not.toEqual([before])
  })
})
