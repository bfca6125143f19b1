import { describe, expect, it } from "@effect/vitest"
import { errorJson, errorLines } from "../../src/cli/Render.ts"
import { describeDefect } from "../../src/daemon/Defect.ts"
import { ConfigFileError, ConfigSchemaError, ConfigSyntaxError, InvalidRuntimeConfig } from "../../src/config/Errors.ts"
import { Problem } from "../../src/config/Problem.ts"
import { RuntimePathLookupError } from "../../src/registry/Preflight.ts"
import { UnknownRuntime } from "../../src/registry/RuntimeTable.ts"
import { ScriptsDirectoryError, WrapperWriteError } from "../../src/wrappers/ScriptStore.ts"

const problems = [
  new Problem({ path: "runtimes.a", message: "runtime a: either a runtimeType or a path must be configured" }),
  new Problem({ path: "default-runtime", message: "specified default runtime 'x' does not exist" })
]

describe("errorLines", () => {
  it("one line per problem, at its place", () => {
    expect(errorLines(new InvalidRuntimeConfig({ problems, warnings: [] }))).toEqual(problems.map(({ message, path }) => ({ path, message })))
  })

  it("type errors are placed in their file", () => {
    const error = new ConfigSchemaError({
      file: "/etc/docker/daemon.json",
      problems: [new Problem({ path: "runtimes.a.path", message: "expected a string, got 1" }), new Problem({ path: "", message: "top" })]
    })
    expect(errorLines(error)).toEqual([
      { path: "/etc/docker/daemon.json: runtimes.a.path", message: "expected a string, got 1" },
      { path: "/etc/docker/daemon.json", message: "top" }
    ])
  })

  it("a failed pre-flight check names its runtime", () => {
    const error = new RuntimePathLookupError({ runtime: "my.rt", path: "/x", reason: "exec: \"/x\": gone" })
    expect(errorLines(error)).toEqual([
      { path: `runtimes["my.rt"]`, message: "error while looking up the specified runtime path: exec: \"/x\": gone" }
    ])
  })

  it("everything else is its message", () => {
    for (
      const error of [
        new UnknownRuntime({ runtime: "foo" }),
        new ConfigFileError({ file: "/f", reason: "permission denied" }),
        new ConfigSyntaxError({ file: "/f", line: 2, column: 3, detail: "invalid character '}'" }),
        new ScriptsDirectoryError({ directory: "/d", reason: "r" }),
        new WrapperWriteError({ runtimeName: "n", path: "/p", reason: "r" })
      ]
    ) {
      expect(errorLines(error)).toEqual([{ path: "", message: error.message }])
    }
  })
})

describe("errorJson", () => {
  it("tag, message and the error's own fields, and the problems when there are several", () => {
    expect(errorJson(new UnknownRuntime({ runtime: "foo" }))).toEqual({
      error: { _tag: "UnknownRuntime", message: "unknown or invalid runtime name: foo", runtime: "foo" }
    })
    expect(errorJson(new RuntimePathLookupError({ runtime: "rt", path: "/gone", reason: "r" }))).toEqual({
      error: {
        _tag: "RuntimePathLookupError",
        message: "error while looking up the specified runtime path: r",
        runtime: "rt",
        path: "/gone",
        reason: "r"
      }
    })
    const invalid = new InvalidRuntimeConfig({ problems, warnings: [] })
    expect(errorJson(invalid)).toEqual({
      error: {
        _tag: "InvalidRuntimeConfig",
        message: invalid.message,
        problems: problems.map(({ message, path }) => ({ path, message })),
        warnings: []
      }
    })
    expect(JSON.parse(JSON.stringify(errorJson(invalid)))).toEqual(errorJson(invalid))
  })
})

describe("describeDefect", () => {
  it("one line, whatever was thrown", () => {
    expect(describeDefect(new TypeError("a\nb"))).toBe("TypeError: a")
    expect(describeDefect("text")).toBe("text")
    expect(describeDefect(Object.create(null))).toBe("[object Object]")
    expect(describeDefect({ toString: () => { throw new Error("no") } })).toBe("[object Object]")
  })
})
