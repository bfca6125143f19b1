import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { containerdFlags, namespaceContents } from "../containerd/runSupport.ts"
import { executable, runCli, sandbox, stdoutJson } from "./harness.ts"

const namespace = "cli-check-test"

const check = (config: unknown, ...rest: Array<string>) => {
  const box = sandbox()
  return runCli(["check", ...box.flags(box.config(config)), ...containerdFlags(namespace), ...rest])
}

/** A runtime whose binary is not an OCI runtime at all: `true` accepts `create` and creates nothing. */
const impostor = { path: "/bin/true" }
const missingShim = { runtimeType: "io.containerd.nonexistent.v1" }

afterAll(() => {
  expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
})

describe("oci-runtimes check", () => {
  it("reports every runtime in name order in the documented JSON shape", async () => {
    const run = await check({ runtimes: { impostor, ghost: missingShim } }, "--json")
    const report = stdoutJson(run)
    expect(report.ok).toBe(true)
    expect(report.defaultRuntime).toBe("runc")
    expect(report.runtimes.map((runtime: { name: string }) => runtime.name)).toEqual([
      "ghost",
      "impostor",
      "io.containerd.runc.v2",
      "runc"
    ])
    for (const runtime of report.runtimes) {
      expect(Object.keys(runtime)).toEqual(runtime.ok ? ["name", "shim", "ok", "ms"] : ["name", "shim", "ok", "ms", "error"])
      expect(Number.isInteger(runtime.ms)).toBe(true)
    }
  })

  it("passes the stock runtimes", async () => {
    const report = stdoutJson(await check({}, "--json"))
    expect(report.runtimes.map((runtime: { ok: boolean }) => runtime.ok)).toEqual([true, true])
  })

  it("fails a runtime whose shim is missing with containerd's own error", async () => {
    const report = stdoutJson(await check({ runtimes: { ghost: missingShim } }, "--json"))
    const ghost = report.runtimes.find((runtime: { name: string }) => runtime.name === "ghost")
    expect(ghost).toMatchObject({ shim: "io.containerd.nonexistent.v1", ok: false })
    expect(ghost.error).toContain(`binary not installed "containerd-shim-nonexistent-v1"`)
  })

  it("fails a runtime that does not run the container", async () => {
    const report = stdoutJson(await check({ runtimes: { impostor } }, "--json"))
    const result = report.runtimes.find((runtime: { name: string }) => runtime.name === "impostor")
    expect(result).toMatchObject({ shim: "io.containerd.runc.v2", ok: false })
    expect(result.error.length).toBeGreaterThan(0)
  })

  it("exits 0 when only a non-default runtime fails", async () => {
    const run = await check({ runtimes: { ghost: missingShim } })
    expect(run.code).toBe(0)
  })

  it("exits 1 when the default runtime fails", async () => {
    const run = await check({ "default-runtime": "ghost", runtimes: { ghost: missingShim } }, "--json")
    expect(run.code).toBe(1)
    expect(stdoutJson(run).ok).toBe(false)
  })

  it("fails a runtime whose container does not finish within --timeout, and removes it", async () => {
    // It hangs in `create` for 2 s: long past the timeout, and short enough that containerd's shim, which
    // waits for it whatever we do, is gone again soon after the test.
    const hang = executable(join(sandbox().dir, "hanging-runtime"), "#!/bin/sh\nexec sleep 2\n")
    const run = await check({ runtimes: { hang: { path: hang } } }, "--json", "--timeout", "500ms")
    const result = stdoutJson(run).runtimes.find((runtime: { name: string }) => runtime.name === "hang")
    expect(result).toMatchObject({ ok: false, error: "did not finish within 500ms" })
    expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
  })

  it("refuses a --timeout that is not a duration as a usage error", async () => {
    const run = await check({}, "--timeout", "soon")
    expect(run.code).toBe(2)
  })

  it("prints a table with a verdict per runtime and a summary", async () => {
    const run = await check({ runtimes: { ghost: missingShim } })
    const lines = run.stdout.trimEnd().split("\n")
    expect(lines[0]).toBe("Default runtime: runc")
    expect(lines[2]).toMatch(/^NAME +SHIM +RESULT +TIME +ERROR$/)
    expect(lines[3]).toMatch(/^ghost +io\.containerd\.nonexistent\.v1 +FAILED +\d+ ms +containerd Tasks\.Create/)
    expect(lines[5]).toMatch(/^runc +io\.containerd\.runc\.v2 +ok +\d+ ms$/)
    expect(lines.at(-1)).toBe("1 of 3 runtimes failed; the default runtime (runc) works.")
  })
})
