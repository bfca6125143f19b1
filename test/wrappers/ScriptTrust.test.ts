import { describe, expect, it } from "@effect/vitest"
import * as ByteSize from "effect/ByteSize"
import * as Option from "effect/Option"
import { type Facts, judgeScript, judgeScriptsDirectory } from "../../src/wrappers/ScriptTrust.ts"

const facts = (overrides: Partial<Facts> = {}): Facts => ({
  type: "Directory",
  mode: 0o40700,
  uid: Option.some(0),
  size: ByteSize.bytes(4096),
  ...overrides
})

const script = (overrides: Partial<Facts> = {}) => facts({ type: "File", mode: 0o100700, size: ByteSize.bytes(10), ...overrides })

describe("judgeScriptsDirectory", () => {
  it("trusts a directory of ours with mode 0700", () => {
    expect(judgeScriptsDirectory(facts(), 0)).toEqual({ _tag: "Trust" })
  })

  it("repairs a directory of ours that others may use, naming the mode it had", () => {
    expect(judgeScriptsDirectory(facts({ mode: 0o40755 }), 0)).toEqual({ _tag: "Repair", mode: 0o755 })
  })

  it("refuses a directory someone else owns, whatever its mode", () => {
    expect(judgeScriptsDirectory(facts({ uid: Option.some(1000) }), 0)._tag).toBe("Refuse")
  })

  it("refuses a symbolic link even to a directory of ours", () => {
    expect(judgeScriptsDirectory(facts({ type: "SymbolicLink" }), 0)._tag).toBe("Refuse")
  })

  it("trusts a directory where neither the platform nor the file system knows uids", () => {
    expect(judgeScriptsDirectory(facts({ uid: Option.none() }), undefined)).toEqual({ _tag: "Trust" })
  })
})

describe("judgeScript", () => {
  it("leaves only the content to compare for a regular file of ours, 0700, of the planned size", () => {
    expect(judgeScript(script(), 0, 10)).toEqual({ _tag: "Compare" })
  })

  it.each([
    ["a symbolic link", script({ type: "SymbolicLink" }), "it was a SymbolicLink, not a regular file"],
    ["another user's file", script({ uid: Option.some(65534) }), "it was owned by uid 65534"],
    ["a setuid file", script({ mode: 0o104700 }), "it had mode 04700"],
    ["a group-executable file", script({ mode: 0o100750 }), "it had mode 0750"],
    ["a file of another size", script({ size: ByteSize.bytes(11) }), "its content differed"]
  ])("replaces %s", (_, found, reason) => {
    expect(judgeScript(found, 0, 10)).toEqual({ _tag: "Replace", reason })
  })
})
