import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { parseDaemonJson } from "../../src/config/DaemonConfig.ts"
import { excerpt } from "../../src/config/Problem.ts"
import { keepLiteral } from "../../src/json/NumberLiteral.ts"
import { generateShimOptions, ShimOptions } from "../../src/options/ShimOptions.ts"

const runc = "io.containerd.runc.v2"
const runhcs = "io.containerd.runhcs.v1"
const kata = "io.containerd.kata.v2"

const generated = (runtimeType: string, options: Record<string, unknown>) => {
  const result = generateShimOptions("custom", runtimeType, options)
  if (Result.isFailure(result)) throw new Error(result.failure.map((p) => p.message).join("\n"))
  return result.success
}
const value = (runtimeType: string, options: Record<string, unknown>) => generated(runtimeType, options).options.value
const warnings = (runtimeType: string, options: Record<string, unknown>) =>
  generated(runtimeType, options).warnings.map(({ message, path }) => ({ path, message }))
const problems = (runtimeType: string, options: Record<string, unknown>) => {
  const result = generateShimOptions("custom", runtimeType, options)
  if (Result.isSuccess(result)) throw new Error("expected problems")
  return result.failure.map(({ message, path }) => ({ path, message }))
}
const problemMessages = (runtimeType: string, options: Record<string, unknown>) =>
  problems(runtimeType, options).map((problem) => problem.message)

/** The `options` of a runtime, read from daemon.json text as the daemon reads them. */
const fromDaemonJson = (optionsJson: string): Record<string, unknown> => {
  const text = `{"runtimes": {"custom": {"options": ${optionsJson}}}}`
  const options = Result.getOrThrow(parseDaemonJson(text, "daemon.json")).config.runtimes["custom"]?.options
  if (options === undefined) throw new Error("no options")
  return options
}

describe("choosing the message", () => {
  it("gives the runc shim containerd's runc options", () => {
    const { options } = generated(runc, { SystemdCgroup: true })
    expect(options).toEqual({
      _tag: "RuncOptions",
      typeUrl: "containerd.runc.v1.Options",
      value: { systemdCgroup: true }
    })
  })

  it("gives the runhcs shim hcsshim's runhcs options", () => {
    const { options } = generated(runhcs, { Debug: true })
    expect(options).toEqual({ _tag: "RunhcsOptions", typeUrl: "containerd.runhcs.v1.Options", value: { debug: true } })
  })

  it("gives any other shim containerd's generic runtime options", () => {
    const { options } = generated(kata, { ConfigPath: "/etc/kata/configuration.toml" })
    expect(options).toEqual({
      _tag: "RuntimeOptions",
      typeUrl: "runtimeoptions.v1.Options",
      value: { configPath: "/etc/kata/configuration.toml" }
    })
  })

  it("gives the removed runc v1 shim the generic runtime options, as current dockerd does", () => {
    expect(generated("io.containerd.runc.v1", {}).options._tag).toBe("RuntimeOptions")
  })

  it("produces options the ShimOptions schema accepts and round-trips through JSON", () => {
    const { options } = generated(runhcs, {
      DebugType: "file",
      VmProcessorCount: 4,
      DefaultContainerAnnotations: { "io.microsoft.a": "1" },
      ScrubLogs: false
    })
    expect(Schema.is(ShimOptions)(options)).toBe(true)
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(ShimOptions)(options)))
    expect(Schema.decodeUnknownSync(ShimOptions)(json)).toEqual(options)
  })
})

describe("matching keys", () => {
  it("matches a key to a field's Go name in any case", () => {
    for (const key of ["SystemdCgroup", "systemdcgroup", "SYSTEMDCGROUP", "systemdCgroup", "sYsTeMdCgRoUp"]) {
      expect(value(runc, { [key]: true })).toEqual({ systemdCgroup: true })
    }
  })

  it("does not match a field's .proto name, as dockerd does not", () => {
    expect(value(runc, { systemd_cgroup: true })).toEqual({})
  })

  it("folds only ASCII letters, so the Kelvin sign does not stand for k", () => {
    expect(value(runc, { "NoNew\u212Aeyring": true })).toEqual({})
  })
})

describe("several spellings of one field", () => {
  it("uses the Go name over a lower-case spelling, whatever the byte order", () => {
    expect(value(runc, { SystemdCgroup: true, systemdcgroup: false })).toEqual({ systemdCgroup: true })
  })

  it("does not decode a spelling another takes precedence over, so its bad value is no problem", () => {
    expect(value(runc, { SystemdCgroup: true, systemdcgroup: "yes" })).toEqual({ systemdCgroup: true })
  })

  it("does not decode a spelling another takes precedence over, so its null is no problem", () => {
    expect(value(runc, { SystemdCgroup: true, systemdcgroup: null })).toEqual({ systemdCgroup: true })
  })

  it.each([
    { winner: "SystemdCgroup", loser: "SYSTEMDCGROUP" },
    { winner: "SystemdCgroup", loser: "systemdCgroup" },
    { winner: "systemdcgroup", loser: "SYSTEMDCGROUP" },
    { winner: "systemdcgroup", loser: "systemdCgroup" },
    { winner: "SYSTEMDCGROUP", loser: "systemdCgroup" }
  ])("takes $winner over $loser, in go-toml v1's order", ({ loser, winner }) => {
    expect(value(runc, { [winner]: true, [loser]: false })).toEqual({ systemdCgroup: true })
  })

  it("takes any of go-toml v1's four spellings over another spelling", () => {
    expect(value(runc, { sYsTeMdCgRoUp: false, systemdCgroup: true })).toEqual({ systemdCgroup: true })
  })

  it("takes the first in byte order of spellings that are none of go-toml v1's four", () => {
    expect(value(runc, { systemdCGROUP: false, sYsTeMdCgRoUp: true })).toEqual({ systemdCgroup: true })
  })

  it("warns about each ignored spelling, naming the one that takes precedence", () => {
    expect(warnings(runc, { systemdcgroup: false, SystemdCgroup: true, SYSTEMDCGROUP: null })).toEqual([
      {
        path: "runtimes.custom.options.SYSTEMDCGROUP",
        message: "runtime custom: option \"SYSTEMDCGROUP\" is ignored: " +
          "\"SystemdCgroup\" also sets SystemdCgroup and takes precedence"
      },
      {
        path: "runtimes.custom.options.systemdcgroup",
        message: "runtime custom: option \"systemdcgroup\" is ignored: " +
          "\"SystemdCgroup\" also sets SystemdCgroup and takes precedence"
      }
    ])
  })
})

describe("null", () => {
  it("reports null for a field, naming the key, as dockerd fails on it", () => {
    const result = generateShimOptions("kata", runc, { SystemdCgroup: null })
    expect(Result.isFailure(result) && result.failure).toEqual([
      expect.objectContaining({
        path: "runtimes.kata.options.SystemdCgroup",
        message: "runtime kata: option \"SystemdCgroup\": expected a boolean, got null"
      })
    ])
  })

  it("reports a null entry of a map<string,string> field", () => {
    expect(problemMessages(runhcs, { DefaultContainerAnnotations: { a: "1", c: null } })).toEqual([
      "runtime custom: option \"DefaultContainerAnnotations\": expected a string for \"c\", got null"
    ])
  })

  it("only warns about null under an unknown key", () => {
    expect(generated(kata, { Frobnicate: null })).toEqual({
      options: { _tag: "RuntimeOptions", typeUrl: "runtimeoptions.v1.Options", value: {} },
      warnings: [
        expect.objectContaining({
          path: "runtimes.custom.options.Frobnicate",
          message: "runtime custom: option \"Frobnicate\" is not a field of runtimeoptions.v1.Options and is ignored"
        })
      ]
    })
  })
})

describe("unknown keys", () => {
  it("accepts an unknown key with a warning naming the message", () => {
    expect(generated(kata, { Frobnicate: 1 })).toMatchObject({ options: { value: {} } })
    expect(warnings(kata, { Frobnicate: 1 })).toEqual([{
      path: "runtimes.custom.options.Frobnicate",
      message: "runtime custom: option \"Frobnicate\" is not a field of runtimeoptions.v1.Options and is ignored"
    }])
  })

  it("suggests the field whose Go name is within two edits of a misspelt key", () => {
    expect(warnings(runc, { SystemdCgrop: true })).toEqual([{
      path: "runtimes.custom.options.SystemdCgrop",
      message: "runtime custom: option \"SystemdCgrop\" is not a field of containerd.runc.v1.Options and is ignored; " +
        "did you mean \"SystemdCgroup\"?"
    }])
  })

  it("suggests the Go name for a key spelt as in the .proto file", () => {
    expect(warnings(runhcs, { default_container_scratch_size_in_gb: 30 })[0]?.message).toMatch(
      /did you mean "DefaultContainerScratchSizeInGb"\?$/
    )
  })

  it("suggests nothing for a short key that is merely a few letters off a field", () => {
    expect(warnings(runc, { ro: "/run" })[0]?.message).not.toMatch(/did you mean/)
  })

  it("suggests nothing for a key far longer than any field, without comparing it letter by letter", () => {
    expect(warnings(runc, { ["x".repeat(4_000_000)]: 1 })[0]?.message).not.toMatch(/did you mean/)
  })
})

describe("integer fields", () => {
  it("decodes an integral JSON number into a uint32 field", () => {
    expect(value(runc, { IoUid: 1000, IoGid: 0 })).toEqual({ ioUid: 1000, ioGid: 0 })
  })

  it("decodes a negative JSON number into an int32 field", () => {
    expect(value(runhcs, { IoRetryTimeoutInSec: -1 })).toEqual({ ioRetryTimeoutInSec: -1 })
  })

  it("reports a fractional number", () => {
    expect(problems(runc, { IoUid: 1.5 })).toEqual([{
      path: "runtimes.custom.options.IoUid",
      message: "runtime custom: option \"IoUid\": 1.5 is not an integer"
    }])
  })

  it("reports a negative number for a uint32 field", () => {
    expect(problemMessages(runc, { IoUid: -1 })).toEqual([
      "runtime custom: option \"IoUid\": -1 is out of range for uint32"
    ])
  })

  it("reports a number above 2^32-1 for a uint32 field", () => {
    expect(problemMessages(runc, { ioGid: 4294967296 })).toEqual([
      "runtime custom: option \"ioGid\": 4294967296 is out of range for uint32"
    ])
  })

  it("reports a number below -2^31 for an int32 field", () => {
    expect(problemMessages(runhcs, { VmMemorySizeInMb: -2147483649 })).toEqual([
      "runtime custom: option \"VmMemorySizeInMb\": -2147483649 is out of range for int32"
    ])
  })

  it("reports a number above 2^31-1 for an int32 field", () => {
    expect(problemMessages(runhcs, { VmMemorySizeInMb: 2147483648 })).toEqual([
      "runtime custom: option \"VmMemorySizeInMb\": 2147483648 is out of range for int32"
    ])
  })

  it("reports a string given for an integer", () => {
    expect(problemMessages(runc, { IoUid: "1000" })).toEqual([
      "runtime custom: option \"IoUid\": expected an integer, got \"1000\""
    ])
  })

  it("decodes a plain JavaScript number, as options built in code hold", () => {
    expect(value(runc, { IoUid: 4294967295 })).toEqual({ ioUid: 4294967295 })
  })
})

describe("numbers as written in daemon.json", () => {
  it("reports 1.0000000000000001 as not an integer, though JSON.parse reads 1", () => {
    expect(problemMessages(runc, fromDaemonJson(`{"IoUid": 1.0000000000000001}`))).toEqual([
      "runtime custom: option \"IoUid\": 1.0000000000000001 is not an integer"
    ])
  })

  it("reports 4294967295.0000001 as not an integer, though JSON.parse reads 4294967295", () => {
    expect(problemMessages(runc, fromDaemonJson(`{"IoUid": 4294967295.0000001}`))).toEqual([
      "runtime custom: option \"IoUid\": 4294967295.0000001 is not an integer"
    ])
  })

  it("reports 9007199254740993 as written, though JSON.parse reads 9007199254740992", () => {
    expect(problemMessages(runc, fromDaemonJson(`{"IoUid": 9007199254740993}`))).toEqual([
      "runtime custom: option \"IoUid\": 9007199254740993 is out of range for uint32"
    ])
  })

  it("reports a literal too large for a double, as an embedder may pass one, as out of range, not as Infinity", () => {
    expect(problemMessages(runc, { IoUid: keepLiteral("1e400") })).toEqual([
      "runtime custom: option \"IoUid\": 1e400 is out of range for uint32"
    ])
  })

  it("reports 1e-400 as not an integer, though JSON.parse reads 0", () => {
    expect(problemMessages(runc, fromDaemonJson(`{"IoUid": 1e-400}`))).toEqual([
      "runtime custom: option \"IoUid\": 1e-400 is not an integer"
    ])
  })

  it("judges an enormous exponent without computing the power", () => {
    expect(problemMessages(runc, { IoUid: keepLiteral("1e999999999999") })).toEqual([
      "runtime custom: option \"IoUid\": 1e999999999999 is out of range for uint32"
    ])
  })

  it("quotes a long literal in its message only in part", () => {
    const literal = `1.${"0".repeat(100_000)}1`
    expect(problemMessages(runc, fromDaemonJson(`{"IoUid": ${literal}}`))).toEqual([
      `runtime custom: option "IoUid": ${excerpt(literal)} is not an integer`
    ])
  })

  it("quotes a long string in its message only in part", () => {
    const text = "x".repeat(100_000)
    expect(problemMessages(runc, { IoUid: text })).toEqual([
      `runtime custom: option "IoUid": expected an integer, got ${excerpt(JSON.stringify(text))}`
    ])
  })

  it("decodes 1.0 as the integer 1", () => {
    expect(value(runc, fromDaemonJson(`{"IoUid": 1.0}`))).toEqual({ ioUid: 1 })
  })

  it("decodes 1e2 as the integer 100", () => {
    expect(value(runc, fromDaemonJson(`{"IoUid": 1e2}`))).toEqual({ ioUid: 100 })
  })

  it("decodes 4294967295.0 as the largest uint32", () => {
    expect(value(runc, fromDaemonJson(`{"IoUid": 4294967295.0}`))).toEqual({ ioUid: 4294967295 })
  })

  it("decodes an enum from its number written with a fraction of zero", () => {
    expect(value(runhcs, fromDaemonJson(`{"DebugType": 2.0}`))).toEqual({ debugType: "ETW" })
  })

  it("quotes a number given for another type as written", () => {
    expect(problemMessages(runc, fromDaemonJson(`{"SystemdCgroup": 1.50}`))).toEqual([
      "runtime custom: option \"SystemdCgroup\": expected a boolean, got 1.50"
    ])
  })
})

describe("other field types", () => {
  it("reports a non-boolean given for a bool field", () => {
    expect(problemMessages(runc, { SystemdCgroup: "yes" })).toEqual([
      "runtime custom: option \"SystemdCgroup\": expected a boolean, got \"yes\""
    ])
  })

  it("reports a non-string given for a string field", () => {
    expect(problemMessages(runc, { BinaryName: ["crun"] })).toEqual([
      "runtime custom: option \"BinaryName\": expected a string, got an array"
    ])
  })

  it("decodes an enum from its name in any case", () => {
    expect(value(runhcs, { SandboxIsolation: "hypervisor" })).toEqual({ sandboxIsolation: "HYPERVISOR" })
  })

  it("decodes an enum from its number", () => {
    expect(value(runhcs, { DebugType: 2 })).toEqual({ debugType: "ETW" })
  })

  it("reports an enum value that is neither a name nor a number of the enum", () => {
    expect(problemMessages(runhcs, { DebugType: 3 })).toEqual([
      "runtime custom: option \"DebugType\": expected one of \"NPIPE\", \"FILE\", \"ETW\" or 0, 1, 2, got 3"
    ])
  })

  it("decodes a map<string,string> field from an object of strings, sorted by key", () => {
    expect(value(runhcs, { DefaultContainerAnnotations: { b: "2", a: "1" } })).toEqual({
      defaultContainerAnnotations: { a: "1", b: "2" }
    })
  })

  it("reports each non-string entry of a map<string,string> field", () => {
    expect(problemMessages(runhcs, { DefaultContainerAnnotations: { b: 2, a: true, ok: "x" } })).toEqual([
      "runtime custom: option \"DefaultContainerAnnotations\": expected a string for \"a\", got true",
      "runtime custom: option \"DefaultContainerAnnotations\": expected a string for \"b\", got 2"
    ])
  })

  it("reports a non-object given for a map<string,string> field", () => {
    expect(problemMessages(runhcs, { DefaultContainerAnnotations: "a=1" })).toEqual([
      "runtime custom: option \"DefaultContainerAnnotations\": expected an object of strings, got \"a=1\""
    ])
  })

  it("keeps an explicit false for a field with presence", () => {
    expect(value(runhcs, { ScrubLogs: false })).toEqual({ scrubLogs: false })
  })
})

describe("runtimeoptions", () => {
  it("takes config_path and config_body, the body as text stored base64", () => {
    expect(value(kata, { ConfigPath: "/opt/kata/configuration.toml", ConfigBody: "[hypervisor.qemu]\n" })).toEqual({
      configPath: "/opt/kata/configuration.toml",
      configBody: "W2h5cGVydmlzb3IucWVtdV0K"
    })
  })

  it("reports a non-string given for config_body", () => {
    expect(problemMessages(kata, { ConfigBody: [91, 93] })).toEqual([
      "runtime custom: option \"ConfigBody\": expected a string, got an array"
    ])
  })
})

describe("problems", () => {
  it("reports every problem at once, sorted by key", () => {
    expect(problems(runc, { SystemdCgroup: "yes", IoUid: -1, BinaryName: 5, NoPivotRoot: true })).toEqual([
      {
        path: "runtimes.custom.options.BinaryName",
        message: "runtime custom: option \"BinaryName\": expected a string, got 5"
      },
      {
        path: "runtimes.custom.options.IoUid",
        message: "runtime custom: option \"IoUid\": -1 is out of range for uint32"
      },
      {
        path: "runtimes.custom.options.SystemdCgroup",
        message: "runtime custom: option \"SystemdCgroup\": expected a boolean, got \"yes\""
      }
    ])
  })

  it("names the runtime in the path and the message", () => {
    const result = generateShimOptions("kata", kata, { ConfigPath: 1 })
    expect(Result.isFailure(result) && result.failure[0]).toMatchObject({
      path: "runtimes.kata.options.ConfigPath",
      message: "runtime kata: option \"ConfigPath\": expected a string, got 1"
    })
  })
})
