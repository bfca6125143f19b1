/**
 * The CLI's pure renderers, without processes: tables, lines and JSON from a
 * runtime table built by the real planner with a fixed host.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { readFileSync } from "node:fs"
import { emptyDaemonConfig } from "../../src/config/DaemonConfig.ts"
import { ConfigWarning } from "../../src/config/Problem.ts"
import { decodeFeatures, type Features } from "../../src/features/Features.ts"
import { planRuntimes } from "../../src/registry/RuntimePlan.ts"
import { chooseRuntime, completePlan, featuresOf } from "../../src/registry/RuntimeTable.ts"
import {
  errorLine,
  escapeText,
  infoText,
  internalErrorLine,
  quoteWord,
  resolutionText,
  usageErrorLines,
  usageHint,
  validationJson,
  validationText,
  warningLine
} from "../../src/cli/Render.ts"
import { infoJson, resolutionJson } from "../../src/registry/TableJson.ts"
import { ansiStyle, plainStyle } from "../../src/cli/Style.ts"

const runcFeatures: Features = Result.getOrThrow(
  decodeFeatures(readFileSync(new URL("../fixtures/runc-1.1.5-features.json", import.meta.url), "utf8"))
)

const config = {
  ...emptyDaemonConfig,
  dataRoot: "/data",
  execRoot: "/exec",
  runtimes: {
    wrapped: { path: "/usr/bin/crun", runtimeArgs: ["--root", "/run/my crun"] },
    kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata.toml" } },
    odd: { path: "/usr/bin/odd" }
  }
}
const host = { ramdisk: false, cgroupV2: true, systemdBooted: true }
const plan = Result.getOrThrow(planRuntimes(config, host))
const warning = new ConfigWarning({ path: "runtimes.odd", message: "Failed to run [/usr/bin/odd features]: boom" })
/** runc answers `features`; crun behind the wrapper and odd do not. */
const table = completePlan(plan, (argv) => (argv[0] === "runc" ? runcFeatures : undefined), [warning])
const resolution = (name: string) => {
  const choice = Result.getOrThrow(chooseRuntime(table, name))
  return { choice, features: featuresOf(table, choice.runtime), warnings: table.warnings }
}

describe("resolution", () => {
  it("JSON: proto3 field names, defaults left out, warnings as path and message", () => {
    const json = resolutionJson(resolution(""))
    expect(json).toEqual({
      runtime: "runc",
      shim: "io.containerd.runc.v2",
      options: {
        typeUrl: "containerd.runc.v1.Options",
        value: { binaryName: "runc", root: "/exec/runtime-runc", systemdCgroup: true }
      },
      features: runcFeatures,
      warnings: [{ path: "runtimes.odd", message: "Failed to run [/usr/bin/odd features]: boom" }]
    })
  })

  it("JSON: a name passed through has no options and no features", () => {
    expect(resolutionJson(resolution("io.containerd.kata.v2"))).toMatchObject({ options: null, features: null })
  })

  it("text: labelled lines, the options one per line", () => {
    expect(resolutionText(resolution("kata"), plainStyle)).toBe(
      [
        "runtime:  kata",
        "shim:     io.containerd.kata.v2",
        "options:  runtimeoptions.v1.Options",
        "  configPath: /etc/kata.toml",
        "features: unknown"
      ].join("\n")
    )
    expect(resolutionText(resolution("runc"), plainStyle)).toContain(
      "features: OCI 1.0.0–1.0.2-dev, 6 hooks, seccomp, apparmor, selinux"
    )
  })

  it("text: a runtime without options says so", () => {
    expect(resolutionText(resolution("io.containerd.wasm.v1"), plainStyle)).toContain("options:  none")
  })
})

describe("info", () => {
  it("JSON is the registry's GET /info description", () => {
    const json = infoJson(table)
    expect(json.Runtimes.entries.map(([name]) => name)).toEqual(["io.containerd.runc.v2", "kata", "odd", "runc", "wrapped"])
    expect(json.CgroupDriver).toBe("systemd")
  })

  it("text: header, then a table sorted by name with aligned columns and no trailing spaces", () => {
    expect(infoText(table, plainStyle)).toBe(
      [
        "Default runtime: runc",
        "Cgroup driver:   systemd",
        "",
        "NAME                    KIND    SHIM                    BINARY                                FEATURES",
        "io.containerd.runc.v2   stock   io.containerd.runc.v2   runc                                  OCI 1.0.0–1.0.2-dev, 6 hooks, seccomp, apparmor, selinux",
        "kata                    type    io.containerd.kata.v2   containerd-shim-kata-v2               -",
        "odd                     path    io.containerd.runc.v2   /usr/bin/odd                          -",
        "runc                    stock   io.containerd.runc.v2   runc                                  OCI 1.0.0–1.0.2-dev, 6 hooks, seccomp, apparmor, selinux",
        `wrapped                 path    io.containerd.runc.v2   /usr/bin/crun --root "/run/my crun"   -`
      ].join("\n")
    )
  })

  it("text: styled header, same layout", () => {
    const styled = infoText(table, ansiStyle)
    expect(styled).toContain("\u001b[1mNAME")
    expect(styled.replace(/\u001b\[\d+m/g, "")).toBe(infoText(table, plainStyle))
  })
})

describe("validation", () => {
  it("JSON", () => {
    expect(validationJson({ file: undefined, table, warnings: [] })).toEqual({
      valid: true,
      file: null,
      defaultRuntime: "runc",
      cgroupDriver: "systemd",
      runtimes: ["io.containerd.runc.v2", "kata", "odd", "runc", "wrapped"],
      warnings: []
    })
  })

  it("text", () => {
    expect(validationText({ file: "/etc/docker/daemon.json", table, warnings: [warning] }, plainStyle)).toBe(
      [
        "valid:           /etc/docker/daemon.json",
        "default runtime: runc",
        "runtimes:        io.containerd.runc.v2, kata, odd, runc, wrapped",
        "warnings:        1"
      ].join("\n")
    )
    expect(validationText({ file: undefined, table, warnings: [] }, plainStyle)).toMatch(
      /^valid: {11}no configuration file; dockerd's defaults\n/
    )
  })
})

describe("messages", () => {
  it("warning and error lines", () => {
    expect(warningLine(warning, plainStyle)).toBe("warning: runtimes.odd: Failed to run [/usr/bin/odd features]: boom")
    expect(errorLine({ path: "", message: "unknown or invalid runtime name: x" }, plainStyle)).toBe(
      "error: unknown or invalid runtime name: x"
    )
    expect(errorLine({ path: "default-runtime", message: "m" }, ansiStyle)).toBe("\u001b[31merror:\u001b[39m default-runtime: m")
    expect(internalErrorLine("TypeError: x", plainStyle)).toBe("internal error: TypeError: x (this is a bug in oci-runtimes)")
    expect(usageHint(["oci-runtimes", "info"])).toBe("Run 'oci-runtimes info --help' for usage.")
    expect(usageErrorLines(`Unknown subcommand "inf"\n\n  Did you mean this?\n    info\u001b`, plainStyle)).toEqual([
      `error: Unknown subcommand "inf"`,
      "",
      "  Did you mean this?",
      "    info\\u{1B}"
    ])
  })

  it("control characters from the configuration never reach the terminal raw", () => {
    const line = warningLine({ path: "runtimes[\"a\u001b[2J\"]", message: "x\ny\u202E" }, plainStyle)
    expect(line).toBe("warning: runtimes[\"a\\u{1B}[2J\"]: x\\u{A}y\\u{202E}")
  })
})

describe("quoting", () => {
  it.each([
    ["runc", "runc"],
    ["/usr/bin/runc", "/usr/bin/runc"],
    ["", `""`],
    ["my runtime", `"my runtime"`],
    ["say \"hi\"", `"say \\"hi\\""`],
    ["back\\slash", `"back\\\\slash"`],
    ["tab\there", `"tab\\u{9}here"`],
    ["zero\u200Bwidth", `"zero\\u{200B}width"`]
  ])("quoteWord(%j) = %s", (input, expected) => {
    expect(quoteWord(input)).toBe(expected)
  })

  it("escapeText keeps printable text, including non-ASCII, as it is", () => {
    expect(escapeText("OCI ≥1.0, naïve, ファイル")).toBe("OCI ≥1.0, naïve, ファイル")
  })
})
