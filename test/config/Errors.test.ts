import { describe, expect, it } from "@effect/vitest"
import { ConfigFileError, ConfigSchemaError, ConfigSyntaxError, DaemonFlagsError } from "../../src/config/Errors.ts"
import { Problem } from "../../src/config/Problem.ts"

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

  it("a flags error lists one problem per line", () => {
    const problems = [new Problem({ path: "--add-runtime", message: "invalid runtime argument: x" })]
    expect(new DaemonFlagsError({ problems }).message).toBe(
      "invalid dockerd flags:\n  --add-runtime: invalid runtime argument: x"
    )
  })
})
