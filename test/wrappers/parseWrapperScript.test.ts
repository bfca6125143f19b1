import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { parseWrapperScript, renderWrapperScript } from "../../src/wrappers/WrapperScript.ts"

describe("parseWrapperScript", () => {
  it("reads back the binary and arguments of any script renderWrapperScript writes", () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.array(fc.string()), (binary, args) => {
      expect(parseWrapperScript(renderWrapperScript(binary, args))).toEqual({ binary, args })
    }))
  })

  it("a binary starting with - keeps the path it was given, not the ./ the script adds", () => {
    expect(parseWrapperScript(renderWrapperScript("-x/runc", ["--debug"]))).toEqual({ binary: "-x/runc", args: ["--debug"] })
  })

  it.each([
    ["another shell", "#!/bin/bash\nexec '/usr/bin/runc' \"$@\"\n"],
    ["unquoted words", "#!/bin/sh\nexec /usr/bin/runc --debug \"$@\"\n"],
    ["a second command", "#!/bin/sh\nexec '/usr/bin/runc' \"$@\"\nrm -rf /\n"],
    ["no command", "#!/bin/sh\nexec  \"$@\"\n"],
    ["an unclosed quote", "#!/bin/sh\nexec '/usr/bin/runc \"$@\"\n"]
  ])("%s is not a wrapper script", (_, content) => {
    expect(parseWrapperScript(content)).toBeUndefined()
  })
})
