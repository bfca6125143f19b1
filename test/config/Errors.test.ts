import { describe, expect, it } from "@effect/vitest"
import {
  ConfigFileError,
  ConfigSchemaError,
  ConfigSyntaxError,
  InvalidRuntimeConfig
} from "../../src/config/Errors.ts"
import { ConfigWarning, Problem } from "../../src/config/Problem.ts"

describe("error messages", () => {
  it("a file error names the file and the reason", () => {
    expect(new ConfigFileError({ file: "/x.json", reason: "permission denied" }).message).toBe(
      "unable to read configuration file /x.json: permission denied"
    )
  })

  it("a syntax error reads file:line:column: detail", () => {
    expect(new ConfigSyntaxError({ file: "/x.json", line: 3, column: 7, detail: "unexpected end of JSON input" }).message)
      .toBe("/x.json:3:7: unexpected end of JSON input")
  })

  it("a schema error lists one problem per line, a pathless one without a path", () => {
    const problems = [
      new Problem({ path: "", message: "expected a JSON object at the top level, got an array" }),
      new Problem({ path: "exec-opts[0]", message: "expected a string, got 1" })
    ]
    expect(new ConfigSchemaError({ file: "/x.json", problems }).message).toBe(
      "invalid configuration in /x.json:\n" +
        "  expected a JSON object at the top level, got an array\n" +
        "  exec-opts[0]: expected a string, got 1"
    )
  })

  it("an invalid configuration's message is its problems' messages, one per line, without paths", () => {
    const problems = [
      new Problem({ path: "--add-runtime x", message: "invalid runtime argument: x" }),
      new Problem({ path: "runtimes.kata", message: "runtime kata: either a runtimeType or a path must be configured" })
    ]
    expect(new InvalidRuntimeConfig({ problems, warnings: [] }).message).toBe(
      "invalid runtime argument: x\nruntime kata: either a runtimeType or a path must be configured"
    )
  })

  it("an invalid configuration's warnings do not enter its message", () => {
    const problems = [new Problem({ path: "default-runtime", message: "specified default runtime 'x' does not exist" })]
    const warnings = [new ConfigWarning({ path: "exec-opts[0]", message: "ignored on Linux" })]
    expect(new InvalidRuntimeConfig({ problems, warnings }).message).toBe("specified default runtime 'x' does not exist")
  })
})
