/**
 * The verdicts as a pure function of a table and facts stated by hand: the
 * cases a real host cannot show a root test process (an unwritable
 * directory), and what `requirements` asks to be gathered.
 */
import { describe, expect, it } from "@effect/vitest"
import { type Facts, diagnose, requirements, type ScriptsDirectoryFacts } from "../../src/doctor/Diagnosis.ts"
import { completePlan } from "../../src/registry/RuntimeTable.ts"
import { daemonConfig, planOf } from "../registry/support.ts"

const tableOf = (runtimes: Parameters<typeof daemonConfig>[0]) =>
  completePlan(planOf(daemonConfig({ dataRoot: "/data", ...runtimes })), () => undefined, [])

const withArgs = tableOf({ runtimes: { custom: { path: "/usr/sbin/runc", runtimeArgs: ["--debug"] } } })

const found = (path: string) => ({ _tag: "Found" as const, path })

const facts = (scriptsDirectory: ScriptsDirectoryFacts | undefined): Facts => ({
  containerd: found("/usr/bin/containerd"),
  lookups: new Map([
    ["containerd-shim-runc-v2", found("/usr/bin/containerd-shim-runc-v2")],
    ["runc", found("/usr/sbin/runc")],
    ["/usr/sbin/runc", found("/usr/sbin/runc")]
  ]),
  existing: new Set(),
  scriptsDirectory,
  scripts: new Map(withArgs.runtimes.flatMap((runtime) =>
    runtime.wrapper === undefined ? [] : [[runtime.wrapper.path, { _tag: "Absent" as const }]]
  ))
})

const wrapperCheck = (scriptsDirectory: ScriptsDirectoryFacts) =>
  diagnose(withArgs, facts(scriptsDirectory)).runtimes.find((runtime) => runtime.name === "custom")!.checks
    .find((check) => check.check === "wrapper-script")!

describe("requirements", () => {
  it("asks for each shim on PATH and beside containerd, each runtime binary, and the scripts", () => {
    const needed = requirements(withArgs, found("/usr/bin/containerd"))
    expect(needed.lookups).toEqual([
      "containerd-shim-runc-v2",
      "/usr/bin/containerd-shim-runc-v2",
      "/usr/sbin/runc",
      "runc"
    ])
    expect(needed.existence).toEqual(["/usr/bin/containerd-shim-runc-v2"])
    expect(needed.scriptsDirectory).toBe("/data/runtimes")
    expect(needed.scripts.map((plan) => plan.path)).toEqual([withArgs.runtimes[0]!.wrapper!.path])
  })

  it("asks nothing beside containerd when containerd was not found", () => {
    const needed = requirements(tableOf({}), { _tag: "NotFound", reason: "gone" })
    expect(needed).toEqual({ lookups: ["containerd-shim-runc-v2", "runc"], existence: [], scriptsDirectory: undefined, scripts: [] })
  })
})

describe("wrapper script verdicts", () => {
  it("an existing scripts directory that is not writable fails, saying why", () => {
    const check = wrapperCheck({
      directory: "/data/runtimes",
      nearest: { _tag: "Directory", path: "/data/runtimes", notWritable: "read-only file system" }
    })
    expect(check.ok).toBe(false)
    expect(check.message).toMatch(/cannot be written: \/data\/runtimes is not writable: read-only file system$/)
  })

  it("a missing scripts directory under an unwritable one fails, naming that one", () => {
    const check = wrapperCheck({
      directory: "/data/runtimes",
      nearest: { _tag: "Directory", path: "/", notWritable: "permission denied" }
    })
    expect(check.message).toMatch(/\/data\/runtimes cannot be created: \/ is not writable: permission denied$/)
  })

  it("a scripts directory that cannot be examined fails with the reason", () => {
    const check = wrapperCheck({
      directory: "/data/runtimes",
      nearest: { _tag: "Inaccessible", path: "/data/runtimes", reason: "permission denied" }
    })
    expect(check.message).toMatch(/cannot be written: \/data\/runtimes: permission denied$/)
  })
})

describe("diagnose", () => {
  it("a failed warning-level check leaves the runtime ok; an error-level one does not", () => {
    const diagnosis = diagnose(withArgs, {
      ...facts({ directory: "/data/runtimes", nearest: { _tag: "Directory", path: "/data/runtimes", notWritable: undefined } }),
      lookups: new Map([["containerd-shim-runc-v2", found("/usr/bin/containerd-shim-runc-v2")], ["runc", found("/usr/sbin/runc")]])
    })
    const custom = diagnosis.runtimes.find((runtime) => runtime.name === "custom")!
    expect(custom.checks.filter((check) => !check.ok).map((check) => [check.check, check.severity])).toEqual([
      ["runtime-binary", "error"],
      ["features", "warning"]
    ])
    expect(custom.ok).toBe(false)
    expect(diagnosis.runtimes.find((runtime) => runtime.name === "runc")!.ok).toBe(true)
  })
})
