import { createHash } from "node:crypto"
import { posix } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { encodeBase32 } from "../../src/wrappers/Base32.ts"
import {
  planWrapper,
  quoteShellWord,
  renderWrapperScript,
  scriptFileName,
  scriptsDirectory
} from "../../src/wrappers/WrapperScript.ts"

const suffix = encodeBase32(createHash("sha256").update("any script").digest())
const byteLength = (text: string) => Buffer.byteLength(text, "utf8")

describe("scriptsDirectory", () => {
  it("is the runtimes directory of the data root", () => {
    expect(scriptsDirectory("/var/lib/docker")).toBe("/var/lib/docker/runtimes")
  })
})

describe("quoteShellWord", () => {
  it.each([
    ["space", "a b", "'a b'"],
    ["double quote", `a"b`, `'a"b'`],
    ["dollar", "$HOME", "'$HOME'"],
    ["backtick", "`id`", "'`id`'"],
    ["semicolon", "a;rm -rf /", "'a;rm -rf /'"],
    ["tab", "a\tb", "'a\tb'"],
    ["newline", "a\nb", "'a\nb'"],
    ["asterisk", "*", "'*'"],
    ["backslash", "a\\b", "'a\\b'"],
    ["empty word", "", "''"]
  ])("keeps a %s literal inside single quotes", (_, word, quoted) => {
    expect(quoteShellWord(word)).toBe(quoted)
  })

  it("writes a single quote as close, escaped quote, reopen", () => {
    expect(quoteShellWord("it's")).toBe(`'it'\\''s'`)
  })
})

describe("renderWrapperScript", () => {
  it("execs the quoted binary and args, then forwards the caller's args", () => {
    expect(renderWrapperScript("/usr/bin/crun", ["--debug", "--log level"])).toBe(
      `#!/bin/sh\nexec '/usr/bin/crun' '--debug' '--log level' "$@"\n`
    )
  })

  it("execs only the binary when there are no args", () => {
    expect(renderWrapperScript("runc", [])).toBe(`#!/bin/sh\nexec 'runc' "$@"\n`)
  })
})

describe("scriptFileName", () => {
  it("keeps a safe name as it is", () => {
    expect(scriptFileName("kata-runtime_2.0", suffix)).toBe(`kata-runtime_2.0.${suffix}`)
  })

  it("keeps a safe name holding a percent sign as it is", () => {
    expect(scriptFileName("100%", suffix)).toBe(`100%.${suffix}`)
  })

  it.each([
    ["a/b", "a%2Fb"],
    ["../x", "..%2Fx"],
    ["/etc/passwd", "%2Fetc%2Fpasswd"],
    [".", "%2E"],
    ["..", "%2E%2E"],
    ["", "%"],
    ["a\nb\u0000c\u007f", "a%0Ab%00c%7F"],
    ["c1\u0085", "c1%C2%85"],
    ["a/50%", "a%2F50%25"]
  ])("escapes the unsafe name %j", (name, encoded) => {
    expect(scriptFileName(name, suffix)).toBe(`${encoded}.${suffix}`)
  })

  it("cuts a 300-character name down to a 255-byte file name", () => {
    const fileName = scriptFileName("r".repeat(300), suffix)
    expect(byteLength(fileName)).toBe(255)
    expect(fileName).toBe(`${"r".repeat(255 - 1 - suffix.length)}.${suffix}`)
  })

  it("cuts a long multi-byte name at a character boundary", () => {
    const fileName = scriptFileName("é".repeat(300), suffix)
    expect(byteLength(fileName)).toBeLessThanOrEqual(255)
    expect(fileName).toMatch(new RegExp(`^é+\\.${suffix}$`))
  })

  it("never cuts an escape sequence in half", () => {
    const fileName = scriptFileName("/".repeat(100), suffix)
    expect(byteLength(fileName)).toBeLessThanOrEqual(255)
    expect(fileName).toMatch(new RegExp(`^(%2F)+\\.${suffix}$`))
  })
})

describe("planWrapper", () => {
  it("names a known script with a known name (SHA-256 and base32 computed independently, outside this code)", () => {
    expect(planWrapper("/var/lib/docker/runtimes", "crun", "/usr/bin/crun", ["--debug"])).toEqual({
      path: "/var/lib/docker/runtimes/crun.YMNHG42N79W8K0P4BPB0G9TFFHP2SWP6R8-RS35Y0KXW7W3GMMB0",
      content: `#!/bin/sh\nexec '/usr/bin/crun' '--debug' "$@"\n`
    })
  })

  const dir = "/var/lib/docker/runtimes"

  it("plans the rendered script under a name ending in the base32 SHA-256 of its content", () => {
    const plan = planWrapper(dir, "crun", "/usr/bin/crun", ["--debug"])
    const content = renderWrapperScript("/usr/bin/crun", ["--debug"])
    expect(plan).toEqual({
      path: `${dir}/crun.${encodeBase32(createHash("sha256").update(content).digest())}`,
      content
    })
  })

  it.each(["../x", "a/b", ".", "..", "", "x\u0000/../../etc", "/".repeat(300), "r".repeat(300)])(
    "places the script for runtime %j directly in the scripts directory",
    (name) => {
      const { path } = planWrapper(dir, name, "/usr/bin/runc", ["--debug"])
      expect(posix.dirname(path)).toBe(dir)
      expect(posix.basename(path)).not.toMatch(/^\.\.?$/)
      expect(byteLength(posix.basename(path))).toBeLessThanOrEqual(255)
      expect(path).not.toContain("\u0000")
    }
  )

  it("gives the same path for the same inputs", () => {
    expect(planWrapper(dir, "crun", "/usr/bin/crun", ["--a", "b"])).toEqual(
      planWrapper(dir, "crun", "/usr/bin/crun", ["--a", "b"])
    )
  })

  it("gives a different path for different args", () => {
    expect(planWrapper(dir, "crun", "/usr/bin/crun", ["--a", "b"]).path).not.toBe(
      planWrapper(dir, "crun", "/usr/bin/crun", ["--a b"]).path
    )
  })

  it("gives a different path for a different binary", () => {
    expect(planWrapper(dir, "crun", "/usr/bin/crun", []).path).not.toBe(
      planWrapper(dir, "crun", "/usr/local/bin/crun", []).path
    )
  })
})

describe("renderWrapperScript for a path that starts with a dash", () => {
  it("puts ./ in front, so that exec does not read the path as an option", () => {
    expect(renderWrapperScript("-odd/runc", [])).toBe(`#!/bin/sh\nexec './-odd/runc' "$@"\n`)
  })

  it("leaves a bare name alone, which is looked up on PATH", () => {
    expect(renderWrapperScript("-runc", [])).toBe(`#!/bin/sh\nexec '-runc' "$@"\n`)
  })
})
