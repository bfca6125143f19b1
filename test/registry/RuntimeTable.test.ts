import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { type DaemonConfig, parseDaemonJson } from "../../src/config/DaemonConfig.ts"
import { ConfigWarning } from "../../src/config/Problem.ts"
import { argvKey } from "../../src/features/FeatureProbe.ts"
import type { Features } from "../../src/features/Features.ts"
import {
  chooseRuntime,
  completePlan,
  configuredChoices,
  describeRuntimes,
  featuresOf,
  featuresStatusKey,
  runtimeNamed,
  type RuntimeTable,
  UnknownRuntime
} from "../../src/registry/RuntimeTable.ts"
import { plain, planOf, runcShimOptions, systemdHost, withRuntimes } from "./support.ts"

const runcFeatures: Features = { ociVersionMin: "1.0.0", ociVersionMax: "1.1.0", hooks: ["prestart"] }
const crunFeatures: Features = { ociVersionMin: "1.0.0", annotations: { "run.oci.crun.version": "1.8.1" } }

/** A table whose probes knew runc and `/usr/bin/crun --debug`, and nothing else. */
const tableOf = (config: DaemonConfig): RuntimeTable => {
  const known = new Map([[argvKey(["runc"]), runcFeatures], [argvKey(["/usr/bin/crun", "--debug"]), crunFeatures]])
  return completePlan(planOf(config, systemdHost), (argv) => known.get(argvKey(argv)), [])
}

const config = withRuntimes({
  "crun-debug": { path: "/usr/bin/crun", runtimeArgs: ["--debug"] },
  youki: { path: "/usr/local/bin/youki" },
  kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } },
  "my/custom.runtime.v1": { path: "/bin/true" }
})
const table = tableOf(config)

const choose = (name: string, from: RuntimeTable = table) => Result.getOrThrow(chooseRuntime(from, name))
const refuse = (name: string, from: RuntimeTable = table) => Result.getOrThrow(Result.flip(chooseRuntime(from, name)))

describe("completePlan", () => {
  it("gives each probed runtime the features learnt for its argv", () => {
    expect(runtimeNamed(table, "crun-debug")?.features).toBe(crunFeatures)
    expect(runtimeNamed(table, "runc")?.features).toBe(runcFeatures)
  })

  it("leaves the features of a runtime whose probe told nothing unknown", () => {
    expect(runtimeNamed(table, "youki")?.features).toBeUndefined()
  })

  it("lists the plan's warnings, then the probes'", () => {
    const probeWarning = new ConfigWarning({ path: "runtimes.youki", message: "Failed to run [youki features]" })
    const withWarnings = completePlan(
      planOf(withRuntimes({}, { execOpts: ["foo=bar"] })),
      () => undefined,
      [probeWarning]
    )
    expect(plain(withWarnings.warnings)).toEqual([
      { path: "exec-opts[0]", message: "unknown option: 'foo' (ignored)" },
      { path: "runtimes.youki", message: "Failed to run [youki features]" }
    ])
  })
})

describe("runtimeNamed", () => {
  it("finds every runtime of the table by its name", () => {
    for (const runtime of table.runtimes) expect(runtimeNamed(table, runtime.name)).toBe(runtime)
  })

  it.each(["", "a", "crun", "zzz", "io.containerd.runc.v1", "__proto__"])("finds nothing for %j, which is not in the table", (name) => {
    expect(runtimeNamed(table, name)).toBeUndefined()
  })

  it("finds names that sort differently by code point and by UTF-16 unit (U+E000… and above U+FFFF)", () => {
    const names = ["\uE000", "\uFFFD", "\u{1F600}", "\u{10000}x", "a\uE000", "a\u{1F600}"]
    const mixed = tableOf(withRuntimes(Object.fromEntries(names.map((name) => [name, { path: "/usr/bin/crun" }]))))
    for (const name of names) expect(runtimeNamed(mixed, name)?.name).toBe(name)
  })

  it("finds a runtime among thousands", () => {
    const runtimes = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`r${i}`, { path: `/usr/bin/r${i}` }]))
    const large = tableOf(withRuntimes(runtimes))
    expect(runtimeNamed(large, "r1234")?.config).toEqual({ path: "/usr/bin/r1234" })
  })
})

describe("a table as JSON", () => {
  // Parsed from text, so the options' numbers are the `JSON.rawJSON` literals setup really sees.
  const parsed = Result.getOrThrow(parseDaemonJson(
    JSON.stringify({
      runtimes: {
        "crun-debug": { path: "/usr/bin/crun", runtimeArgs: ["--debug"] },
        youki: { path: "/usr/local/bin/youki" },
        kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } },
        "runc-uid": { runtimeType: "io.containerd.runc.v2", options: { IoUid: 1000, SystemdCgroup: true } }
      },
      "default-runtime": "crun-debug"
    }),
    "daemon.json"
  )).config
  const original = completePlan(
    planOf(parsed, systemdHost),
    (argv) => argvKey(argv) === argvKey(["runc"]) ? runcFeatures : undefined,
    [new ConfigWarning({ path: "runtimes.youki", message: "Failed to run [/usr/local/bin/youki features]" })]
  )

  it("survives JSON.stringify and JSON.parse with every runtime, its shim and options intact", () => {
    const revived = JSON.parse(JSON.stringify(original)) as RuntimeTable
    expect(revived.runtimes.map((runtime) => runtime.name)).toEqual(original.runtimes.map((runtime) => runtime.name))
    for (const runtime of original.runtimes) {
      const copy = runtimeNamed(revived, runtime.name)
      expect(copy?.shim).toBe(runtime.shim)
      expect(copy?.options).toEqual(runtime.options)
      // Number literals are `JSON.rawJSON` values, written out as the text they hold.
      expect(JSON.stringify(copy?.config)).toBe(JSON.stringify(runtime.config))
      expect(copy?.features).toEqual(runtime.features)
    }
    expect(Result.getOrThrow(chooseRuntime(revived, ""))).toEqual(Result.getOrThrow(chooseRuntime(original, "")))
    expect(describeRuntimes(revived)).toEqual(JSON.parse(JSON.stringify(describeRuntimes(original))))
    expect(plain(revived.warnings)).toEqual(plain(original.warnings))
  })
})

describe("chooseRuntime", () => {
  it("resolves the empty name to the default runtime", () => {
    expect(choose("")).toEqual({
      runtime: "runc",
      shim: "io.containerd.runc.v2",
      options: runcShimOptions({ binaryName: "runc", systemdCgroup: true }),
      preflightPath: undefined
    })
  })

  it("resolves the empty name to a configured default runtime, its check included", () => {
    const withDefault = tableOf({ ...config, defaultRuntime: "crun-debug" })
    expect(choose("", withDefault)).toEqual(choose("crun-debug", withDefault))
  })

  it("resolves the empty name to an unconfigured default as a shim name", () => {
    const withDefault = tableOf({ ...config, defaultRuntime: "io.containerd.wasmedge.v1" })
    expect(choose("", withDefault)).toEqual({
      runtime: "io.containerd.wasmedge.v1",
      shim: "io.containerd.wasmedge.v1",
      options: undefined,
      preflightPath: undefined
    })
  })

  it("resolves a stock runtime", () => {
    expect(choose("io.containerd.runc.v2")).toMatchObject({
      shim: "io.containerd.runc.v2",
      options: runcShimOptions({ binaryName: "runc", systemdCgroup: true })
    })
  })

  it("resolves a configured runtime to its shim and options, with the binary to check", () => {
    const wrapper = runtimeNamed(table, "crun-debug")?.wrapper?.path ?? ""
    expect(choose("crun-debug")).toEqual({
      runtime: "crun-debug",
      shim: "io.containerd.runc.v2",
      options: runcShimOptions({ binaryName: wrapper, systemdCgroup: true }),
      preflightPath: "/usr/bin/crun"
    })
  })

  it("resolves a configured runtime whatever its name looks like", () => {
    expect(choose("my/custom.runtime.v1").options).toEqual(runcShimOptions({ binaryName: "/bin/true", systemdCgroup: true }))
  })

  it("resolves a configured runtimeType runtime to its typed options", () => {
    expect(choose("kata")).toEqual({
      runtime: "kata",
      shim: "io.containerd.kata.v2",
      options: {
        _tag: "RuntimeOptions",
        typeUrl: "runtimeoptions.v1.Options",
        value: { configPath: "/etc/kata/configuration.toml" }
      },
      preflightPath: undefined
    })
  })

  it.each(["io.containerd.my-shim.v42", "io.containerd.my-shim", "a.."])(
    "hands an unconfigured containerd runtime name %s over verbatim, without options",
    (name) => {
      expect(choose(name)).toEqual({ runtime: name, shim: name, options: undefined, preflightPath: undefined })
    }
  )

  it.each(["myshim", "/path/to/runc", "/path/to/io.containerd.runc.v2", "my/io.containerd.runc.v2", ".runc.v2"])(
    "refuses %s, which is neither configured nor a containerd runtime name",
    (name) => {
      const error = refuse(name)
      expect(error).toBeInstanceOf(UnknownRuntime)
      expect(error.message).toBe(`unknown or invalid runtime name: ${name}`)
    }
  )

  it.each(["toString", "constructor", "__proto__", "hasOwnProperty"])(
    "does not find %s on Object.prototype",
    (name) => {
      expect(refuse(name).runtime).toBe(name)
    }
  )
})

describe("configuredChoices", () => {
  it("answers every configured and stock name, and the empty name, exactly as chooseRuntime does", () => {
    const choices = configuredChoices(table)
    const names = ["", ...table.runtimes.map((runtime) => runtime.name)]
    expect([...choices.keys()].sort()).toEqual(names.sort())
    for (const name of names) expect(choices.get(name)).toEqual(choose(name))
  })

  it("has no empty name when the default runtime is not configured", () => {
    const passThrough = { ...table, defaultRuntime: "io.containerd.kata.v2" }
    expect(configuredChoices(passThrough).has("")).toBe(false)
  })
})

describe("featuresOf", () => {
  it("gives the default runtime's features for the empty name", () => {
    expect(featuresOf(table, "")).toBe(runcFeatures)
  })

  it("gives a stock runtime's features", () => {
    expect(featuresOf(table, "io.containerd.runc.v2")).toBe(runcFeatures)
  })

  it("gives a configured runtime's features", () => {
    expect(featuresOf(table, "crun-debug")).toBe(crunFeatures)
  })

  it("gives none for a runtimeType runtime, which is never probed", () => {
    expect(featuresOf(table, "kata")).toBeUndefined()
  })

  it("gives none for a name that is not configured, even one containerd accepts", () => {
    expect(featuresOf(table, "io.containerd.my-shim.v42")).toBeUndefined()
  })

  it("gives none for the empty name when the default is not configured", () => {
    expect(featuresOf(tableOf({ ...config, defaultRuntime: "io.containerd.wasmedge.v1" }), "")).toBeUndefined()
  })
})

describe("describeRuntimes", () => {
  const info = describeRuntimes(table)

  it("names the default runtime and the cgroup driver", () => {
    expect(info.DefaultRuntime).toBe("runc")
    expect(info.CgroupDriver).toBe("systemd")
  })

  it("lists the stock runtimes as Docker does: path runc, and their features", () => {
    const stock = { path: "runc", status: { [featuresStatusKey]: JSON.stringify(runcFeatures) } }
    expect(info.Runtimes["runc"]).toEqual(stock)
    expect(info.Runtimes["io.containerd.runc.v2"]).toEqual(stock)
  })

  it("shows a runtime's configuration as written, with its features as JSON text", () => {
    expect(info.Runtimes["crun-debug"]).toEqual({
      path: "/usr/bin/crun",
      runtimeArgs: ["--debug"],
      status: { [featuresStatusKey]: JSON.stringify(crunFeatures) }
    })
    expect(JSON.parse(info.Runtimes["crun-debug"]?.status?.[featuresStatusKey] ?? "")).toEqual(crunFeatures)
  })

  it("leaves status out when the features are unknown", () => {
    expect(info.Runtimes["youki"]).toEqual({ path: "/usr/local/bin/youki" })
    expect(info.Runtimes["kata"]).toEqual({
      runtimeType: "io.containerd.kata.v2",
      options: { ConfigPath: "/etc/kata/configuration.toml" }
    })
  })

  it("leaves empty fields out, as Docker's omitempty does", () => {
    const sparse = describeRuntimes(tableOf(withRuntimes({
      kata: { path: "", runtimeType: "io.containerd.kata.v2", runtimeArgs: [], options: {} }
    })))
    expect(sparse.Runtimes["kata"]).toEqual({ runtimeType: "io.containerd.kata.v2" })
    expect(Object.keys(sparse.Runtimes["kata"] ?? {})).toEqual(["runtimeType"])
  })

  it("lists runtimes in name order, whatever the configuration's order", () => {
    const reversed = describeRuntimes(tableOf({
      ...config,
      runtimes: Object.fromEntries(Object.entries(config.runtimes).reverse())
    }))
    expect(Object.keys(info.Runtimes)).toEqual([
      "crun-debug",
      "io.containerd.runc.v2",
      "kata",
      "my/custom.runtime.v1",
      "runc",
      "youki"
    ])
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(info))
  })

  it("reports an unconfigured default runtime by name, without listing it", () => {
    const withDefault = describeRuntimes(tableOf({ ...config, defaultRuntime: "io.containerd.wasmedge.v1" }))
    expect(withDefault.DefaultRuntime).toBe("io.containerd.wasmedge.v1")
    expect(Object.hasOwn(withDefault.Runtimes, "io.containerd.wasmedge.v1")).toBe(false)
  })
})
