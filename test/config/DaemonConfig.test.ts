import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import {
  DaemonConfigFromJson,
  emptyDaemonConfig,
  parseDaemonJson
} from "../../src/config/DaemonConfig.ts"
import { configPath, excerpt } from "../../src/config/Problem.ts"
import { isRawJson } from "../../src/json/NumberLiteral.ts"

const parse = (text: string) => Result.getOrThrow(parseDaemonJson(text, "/etc/docker/daemon.json"))
const parseFailure = (text: string) => Result.getOrThrow(Result.flip(parseDaemonJson(text, "/etc/docker/daemon.json")))
const problemsOf = (json: unknown) => {
  const error = parseFailure(JSON.stringify(json))
  if (error._tag !== "ConfigSchemaError") throw new Error(`expected a ConfigSchemaError, got ${error._tag}`)
  return error.problems.map(({ message, path }) => ({ path, message }))
}

describe("DaemonConfig defaults", () => {
  it("an empty object gives dockerd's defaults and no runtimes", () => {
    expect(parse("{}").config).toEqual({
      runtimes: {},
      defaultRuntime: "",
      execOpts: [],
      dataRoot: "/var/lib/docker",
      execRoot: "/var/run/docker"
    })
  })

  it("emptyDaemonConfig is what DaemonConfigFromJson decodes an empty object to", () => {
    expect(emptyDaemonConfig).toStrictEqual(Schema.decodeUnknownSync(DaemonConfigFromJson)({}))
  })

  it("a blank file is an empty configuration, as in dockerd", () => {
    expect(parse(" \n\t\n")).toEqual({ config: emptyDaemonConfig, setKeys: new Set() })
  })

  it("an empty data-root or exec-root means the default", () => {
    const { config } = parse(JSON.stringify({ "data-root": "", "exec-root": "" }))
    expect([config.dataRoot, config.execRoot]).toEqual(["/var/lib/docker", "/var/run/docker"])
  })
})

describe("DaemonConfig decoding", () => {
  it("reads every runtime-related key", () => {
    const { config } = parse(JSON.stringify({
      runtimes: {
        crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] },
        kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata.toml", Debug: true } }
      },
      "default-runtime": "crun",
      "exec-opts": ["native.cgroupdriver=systemd"],
      "data-root": "/srv/docker",
      "exec-root": "/run/docker"
    }))
    expect(config).toEqual({
      runtimes: {
        crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] },
        kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata.toml", Debug: true } }
      },
      defaultRuntime: "crun",
      execOpts: ["native.cgroupdriver=systemd"],
      dataRoot: "/srv/docker",
      execRoot: "/run/docker"
    })
  })

  it("ignores keys that are not about runtimes, at the top level and inside a runtime", () => {
    const { config } = parse(JSON.stringify({
      "log-driver": "journald",
      debug: true,
      runtimes: { crun: { path: "/usr/bin/crun", shim: "whatever" } }
    }))
    expect(config).toEqual({ ...emptyDaemonConfig, runtimes: { crun: { path: "/usr/bin/crun" } } })
  })

  it("skips a UTF-8 byte order mark, as dockerd does", () => {
    expect(parse("\uFEFF{\"default-runtime\": \"crun\"}").config.defaultRuntime).toBe("crun")
  })

  it("encodes a configuration back to daemon.json keys", () => {
    expect(Schema.encodeSync(DaemonConfigFromJson)(emptyDaemonConfig)).toEqual({
      "data-root": "/var/lib/docker",
      "default-runtime": "",
      "exec-opts": [],
      "exec-root": "/var/run/docker",
      runtimes: {}
    })
  })
})

describe("setKeys", () => {
  it("lists the runtime keys the file writes, even with default values, and no others", () => {
    const { setKeys } = parse(JSON.stringify({ "data-root": "/var/lib/docker", "exec-opts": [], debug: true }))
    expect([...setKeys].sort()).toEqual(["data-root", "exec-opts"])
  })
})

describe("type mismatches", () => {
  it("a top level that is not an object is reported without a path", () => {
    expect(problemsOf(["runtimes"])).toEqual([
      { path: "", message: "expected a JSON object at the top level, got an array" }
    ])
  })

  it("data-root that is not a string", () => {
    expect(problemsOf({ "data-root": 1 })).toEqual([{ path: "data-root", message: "expected a string, got 1" }])
  })

  it("default-runtime that is not a string", () => {
    expect(problemsOf({ "default-runtime": null })).toEqual([
      { path: "default-runtime", message: "expected a string, got null" }
    ])
  })

  it("exec-opts that is not an array", () => {
    expect(problemsOf({ "exec-opts": "native.cgroupdriver=systemd" })).toEqual([
      { path: "exec-opts", message: "expected an array of strings, got \"native.cgroupdriver=systemd\"" }
    ])
  })

  it("an exec-opts element that is not a string is reported at its index", () => {
    expect(problemsOf({ "exec-opts": ["a=b", true] })).toEqual([
      { path: "exec-opts[1]", message: "expected a string, got true" }
    ])
  })

  it("runtimes that is not an object", () => {
    expect(problemsOf({ runtimes: [] })).toEqual([{ path: "runtimes", message: "expected an object, got an array" }])
  })

  it("a runtime that is not an object", () => {
    expect(problemsOf({ runtimes: { kata: "/usr/bin/kata" } })).toEqual([
      { path: "runtimes.kata", message: "expected an object, got \"/usr/bin/kata\"" }
    ])
  })

  it("each field of a runtime is checked at its own path", () => {
    expect(problemsOf({ runtimes: { kata: { path: 1, runtimeArgs: "x", runtimeType: false, options: [] } } })).toEqual([
      { path: "runtimes.kata.path", message: "expected a string, got 1" },
      { path: "runtimes.kata.runtimeArgs", message: "expected an array of strings, got \"x\"" },
      { path: "runtimes.kata.runtimeType", message: "expected a string, got false" },
      { path: "runtimes.kata.options", message: "expected an object, got an array" }
    ])
  })

  it("a runtimeArgs element that is not a string is reported at its index", () => {
    expect(problemsOf({ runtimes: { kata: { runtimeArgs: ["--debug", 2] } } })).toEqual([
      { path: "runtimes.kata.runtimeArgs[1]", message: "expected a string, got 2" }
    ])
  })

  it("a runtime name that is not a plain word is quoted in the path", () => {
    expect(problemsOf({ runtimes: { "io.containerd.kata.v2": { path: 1 } } })).toEqual([
      { path: "runtimes[\"io.containerd.kata.v2\"].path", message: "expected a string, got 1" }
    ])
  })

  it("option values may be anything", () => {
    const options = { a: null, b: [1, "x"], c: { d: 1.5 } }
    const parsed = parse(JSON.stringify({ runtimes: { kata: { options } } })).config.runtimes["kata"]?.options
    expect(JSON.parse(JSON.stringify(parsed))).toEqual(options)
  })

  it("every mismatch is reported at once, top-level keys in the schema's order, runtimes by name in byte order", () => {
    expect(problemsOf({
      runtimes: { b: { path: 1 }, a: { runtimeArgs: [1, "x", 2] } },
      "exec-root": 4,
      "exec-opts": [3],
      "data-root": false
    })).toEqual([
      { path: "data-root", message: "expected a string, got false" },
      { path: "exec-opts[0]", message: "expected a string, got 3" },
      { path: "exec-root", message: "expected a string, got 4" },
      { path: "runtimes.a.runtimeArgs[0]", message: "expected a string, got 1" },
      { path: "runtimes.a.runtimeArgs[2]", message: "expected a string, got 2" },
      { path: "runtimes.b.path", message: "expected a string, got 1" }
    ])
  })

  it("mismatches come in the same order whatever the order of the runtimes and their fields in the file", () => {
    const runtimes = {
      crun: { options: null, path: 1 },
      "": { options: null },
      "10": { runtimeType: 2 },
      "9": { runtimeArgs: [3] }
    }
    const expected = [
      { path: "runtimes[\"\"].options", message: "expected an object, got null" },
      { path: "runtimes.10.runtimeType", message: "expected a string, got 2" },
      { path: "runtimes.9.runtimeArgs[0]", message: "expected a string, got 3" },
      { path: "runtimes.crun.path", message: "expected a string, got 1" },
      { path: "runtimes.crun.options", message: "expected an object, got null" }
    ]
    const reversed = Object.fromEntries(
      Object.entries(runtimes).reverse().map(([name, fields]) => [name, Object.fromEntries(Object.entries(fields).reverse())])
    )
    expect([problemsOf({ runtimes }), problemsOf({ runtimes: reversed })]).toEqual([expected, expected])
  })

  it("the error names the file", () => {
    expect(parseFailure("{\"data-root\": 1}")).toMatchObject({ file: "/etc/docker/daemon.json" })
  })
})

describe("numbers in runtime options", () => {
  const optionsOf = (text: string) => parse(text).config.runtimes["kata"]?.options

  it("are kept as the literal written, in a JSON.rawJSON value", () => {
    const options = optionsOf(`{"runtimes": {"kata": {"options": {"IoUid": 1.0000000000000001}}}}`)
    expect(isRawJson(options?.["IoUid"]) && options["IoUid"].rawJSON).toBe("1.0000000000000001")
  })

  it("stringify back to the text they were parsed from, at any depth", () => {
    const text = `{"a":1.0000000000000001,"b":[9007199254740993,1e-400,-0.0],"c":{"d":{"e":4294967295.0000001}},"f":0.10}`
    expect(JSON.stringify(optionsOf(`{"runtimes": {"kata": {"options": ${text}}}}`))).toBe(text)
  })

  it("an options value that is not an object is quoted as written", () => {
    const error = parseFailure(`{"runtimes": {"kata": {"options": 1.0}}}`)
    expect(error._tag === "ConfigSchemaError" && error.problems[0]?.message).toBe("expected an object, got 1.0")
  })
})

describe("numbers outside runtime options are quoted as written in mismatches", () => {
  const problemsOfText = (text: string) => {
    const error = parseFailure(text)
    if (error._tag !== "ConfigSchemaError") throw new Error(`expected a ConfigSchemaError, got ${error._tag}`)
    return error.problems.map(({ message, path }) => ({ path, message }))
  }

  it("a number too small for a double is quoted, not shown as 0", () => {
    expect(problemsOfText(`{"runtimes": {"kata": {"path": 1e-400}}}`)).toEqual([
      { path: "runtimes.kata.path", message: "expected a string, got 1e-400" }
    ])
  })

  it("a long number is quoted only in part", () => {
    const literal = `1.${"0".repeat(100_000)}1`
    expect(problemsOfText(`{"runtimes": {"kata": {"path": ${literal}}}}`)).toEqual([
      { path: "runtimes.kata.path", message: `expected a string, got ${excerpt(literal)}` }
    ])
  })

  it("negative zero keeps its sign", () => {
    expect(problemsOfText(`{"runtimes": {"kata": {"path": -0}}}`)).toEqual([
      { path: "runtimes.kata.path", message: "expected a string, got -0" }
    ])
  })

  it("a number a double rounds is quoted with every digit", () => {
    expect(problemsOfText(`{"runtimes": {"kata": {"path": 1.0000000000000001}}}`)).toEqual([
      { path: "runtimes.kata.path", message: "expected a string, got 1.0000000000000001" }
    ])
  })

  it("top-level values, array elements and runtimes are quoted as written too", () => {
    expect(problemsOfText(`{"data-root": 1E2, "exec-opts": [0.50], "runtimes": {"kata": 1e-0, "crun": {"runtimeArgs": [-0.0]}}}`))
      .toEqual([
        { path: "data-root", message: "expected a string, got 1E2" },
        { path: "exec-opts[0]", message: "expected a string, got 0.50" },
        { path: "runtimes.crun.runtimeArgs[0]", message: "expected a string, got -0.0" },
        { path: "runtimes.kata", message: "expected an object, got 1e-0" }
      ])
  })

  it("a top level that is a number is quoted as written", () => {
    expect(problemsOfText("1e400")).toEqual([
      { path: "", message: "expected a JSON object at the top level, got 1e400" }
    ])
  })
})

describe("numbers dockerd cannot decode", () => {
  const refusal = (literal: string) => `json: cannot unmarshal number ${literal} into Go value of type float64`
  const problemsOfText = (text: string) => {
    const error = parseFailure(text)
    if (error._tag !== "ConfigSchemaError") throw new Error(`expected a ConfigSchemaError, got ${error._tag}`)
    return error.problems.map(({ message, path }) => ({ path, message }))
  }

  it("a number too large for a float64 in a runtime option is refused in Go's words, at its path", () => {
    expect(problemsOfText(`{"runtimes": {"kata": {"runtimeType": "io.containerd.kata.v2", "options": {"X": 1e400}}}}`))
      .toEqual([{ path: "runtimes.kata.options.X", message: refusal("1e400") }])
  })

  it("is refused under a key nothing here reads, as dockerd decodes the whole file", () => {
    expect(problemsOfText(`{"log-opts": {"max-file": [1, -1e400]}}`)).toEqual([
      { path: "log-opts.max-file[1]", message: refusal("-1e400") }
    ])
  })

  it("is refused where a string belongs, instead of a type mismatch, as dockerd's first decode fails first", () => {
    expect(problemsOfText(`{"data-root": 1, "runtimes": {"kata": {"path": 1e400}}}`)).toEqual([
      { path: "runtimes.kata.path", message: refusal("1e400") }
    ])
  })

  it("only the first is named, as Go names only the first", () => {
    expect(problemsOfText(`{"a": 1e400, "b": 2e400}`)).toEqual([{ path: "a", message: refusal("1e400") }])
  })

  it("a long one is quoted only in part", () => {
    const literal = `1${"0".repeat(1_000)}`
    expect(problemsOfText(`{"a": ${literal}}`)).toEqual([{ path: "a", message: refusal(excerpt(literal)) }])
  })

  it("a number too small for a float64 is accepted, as Go reads it as 0", () => {
    expect(parse(`{"log-opts": {"x": 1e-400}}`).config).toEqual(emptyDaemonConfig)
  })

  it("the largest float64 is accepted", () => {
    expect(parse(`{"log-opts": {"x": -1.7976931348623157e308}}`).config).toEqual(emptyDaemonConfig)
  })

  it("a top level that is not an object is a type mismatch, as Go does not read its numbers as float64", () => {
    expect([problemsOfText("1e400"), problemsOfText("[1e400]")]).toEqual([
      [{ path: "", message: "expected a JSON object at the top level, got 1e400" }],
      [{ path: "", message: "expected a JSON object at the top level, got an array" }]
    ])
  })

  it("a syntax error anywhere comes first, as Go checks the whole text before decoding", () => {
    expect(parseFailure(`{"a": 1e400, "b": }`)).toMatchObject({ _tag: "ConfigSyntaxError", column: 19 })
  })
})

describe("repeated keys", () => {
  it("a top-level key written twice is refused at the second, naming the key and where the first is", () => {
    const text = `{
  "runtimes": {"a": {"path": "/usr/bin/a"}},
  "runtimes": {"b": {"path": "/usr/bin/b"}}
}`
    expect(parseFailure(text)).toMatchObject({
      _tag: "ConfigSyntaxError",
      line: 3,
      column: 3,
      detail: "duplicate key \"runtimes\" (first at line 2, column 3)"
    })
  })

  it("the whole message names the file, the line and the key", () => {
    const text = `{"runtimes": {}, "runtimes": {}}`
    expect(parseFailure(text).message).toBe(
      "/etc/docker/daemon.json:1:18: duplicate key \"runtimes\" (first at line 1, column 2)"
    )
  })

  it("a field written twice inside a runtime is refused", () => {
    const text = `{"runtimes": {"a": {
  "path": "/usr/bin/a",
  "path": "/usr/bin/b"
}}}`
    expect(parseFailure(text)).toMatchObject({
      _tag: "ConfigSyntaxError",
      line: 3,
      column: 3,
      detail: "duplicate key \"path\" (first at line 2, column 3)"
    })
  })
})

describe("syntax errors", () => {
  it("on the first line, with the column where it broke", () => {
    expect(parseFailure("{\"data-root\": \"/x\",}")).toMatchObject({
      _tag: "ConfigSyntaxError",
      file: "/etc/docker/daemon.json",
      line: 1,
      column: 20,
      detail: "invalid character '}' looking for beginning of object key string"
    })
  })

  it("on a later line", () => {
    expect(parseFailure("{\n  \"data-root\": \"/x\"\n  \"exec-root\": \"/y\"\n}")).toMatchObject({
      line: 3,
      column: 3,
      detail: "invalid character '\"' after object key:value pair"
    })
  })

  it("a bare word is located, though JSON.parse does not say where", () => {
    expect(parseFailure("{\n  \"debug\": tru\n}")).toMatchObject({
      line: 2,
      column: 15,
      detail: "invalid character '\\n' in literal true (expecting 'e')"
    })
  })

  it("truncated input is reported just after its last character", () => {
    expect(parseFailure("{\n  \"runtimes\": {\n    \"crun\": {\n\n")).toMatchObject({
      line: 3,
      column: 14,
      detail: "unexpected end of JSON input"
    })
  })
})

describe("configPath", () => {
  it("joins names with dots and indexes with brackets", () => {
    expect(configPath(["runtimes", "kata", "runtimeArgs", 1])).toBe("runtimes.kata.runtimeArgs[1]")
  })
})
