/**
 * `oci-runtimes doctor` as a user runs it: the real executable, the host's
 * real runc, containerd and runc shim, configurations in temporary
 * directories.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { realpathSync } from "node:fs"
import { join } from "node:path"
import { executable, lines, runCli, sandbox, stdoutJson } from "../cli/harness.ts"

const kata = { kata: { runtimeType: "io.containerd.kata.v2" } }

/**
 * Where the doctor should find this host's containerd: looked up on PATH
 * (with the sbin directories the harness adds, through the shell, an
 * independent lookup) and its symbolic links resolved, as containerd sees
 * itself.
 */
const hostContainerd = realpathSync(
  execFileSync("sh", ["-c", "command -v containerd"], {
    encoding: "utf8",
    env: { PATH: `${process.env["PATH"] ?? ""}:/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin` }
  }).trim()
)

describe.concurrent("oci-runtimes doctor", () => {
  it("--json prints one document: ok, default runtime, containerd, runtimes in name order with their checks", async () => {
    const box = sandbox()
    const run = await runCli(["doctor", "--json", ...box.flags(box.config({ runtimes: { ...kata, crun: { path: "/usr/bin/crun" } } }))])
    const document = stdoutJson(run)
    expect(Object.keys(document)).toEqual(["ok", "defaultRuntime", "containerd", "runtimes", "warnings"])
    expect(document).toMatchObject({ ok: false, defaultRuntime: "runc", containerd: hostContainerd, warnings: [] })
    expect(document.runtimes.map((runtime: any) => runtime.name)).toEqual(["crun", "io.containerd.runc.v2", "kata", "runc"])
    for (const runtime of document.runtimes) {
      expect(Object.keys(runtime)).toEqual(["name", "ok", "checks"])
      for (const check of runtime.checks) expect(Object.keys(check)).toEqual(["check", "ok", "severity", "message"])
    }
    expect(document.runtimes[2]).toEqual({
      name: "kata",
      ok: false,
      checks: [
        {
          check: "shim",
          ok: false,
          severity: "error",
          message: `containerd-shim-kata-v2 not found on PATH or beside ${hostContainerd}`
        },
        { check: "kubernetes-handler", ok: true, severity: "info", message: "usable as a Kubernetes RuntimeClass handler" }
      ]
    })
  })

  it("exits 0 when only a runtime other than the default is broken", async () => {
    const box = sandbox()
    const run = await runCli(["doctor", "--json", ...box.flags(box.config({ runtimes: kata }))])
    expect(run.code).toBe(0)
    expect(stdoutJson(run).ok).toBe(false)
  })

  it("exits 1 when the default runtime is broken, still printing the report", async () => {
    const box = sandbox()
    const run = await runCli(["doctor", "--json", "--default-runtime", "kata", ...box.flags(box.config({ runtimes: kata }))])
    expect(run.code).toBe(1)
    expect(stdoutJson(run)).toMatchObject({ ok: false, defaultRuntime: "kata" })
  })

  it("exits 0 on this host's stock runtimes, with real runc features", async () => {
    const box = sandbox()
    const run = await runCli(["doctor", "--json", ...box.flags(box.config({}))])
    expect(run.code).toBe(0)
    const runc = stdoutJson(run).runtimes.find((runtime: any) => runtime.name === "runc")
    expect(runc.ok).toBe(true)
    expect(runc.checks.every((check: any) => check.ok)).toBe(true)
    expect(runc.checks.find((check: any) => check.check === "features").message).toMatch(/^runc features: OCI 1\.0\.0–/)
  })

  it("a configuration that does not plan exits 1 with the usual error output", async () => {
    const box = sandbox()
    const run = await runCli(["doctor", ...box.flags(box.config({ runtimes: { runc: { path: "/usr/bin/crun" } } }))])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe("")
    expect(lines(run.stderr)).toEqual(["error: runtimes.runc: runtime name 'runc' is reserved"])
  })

  it("a configuration that does not plan, with --json, prints the error document", async () => {
    const box = sandbox()
    const run = await runCli(["doctor", "--json", ...box.flags(box.config({ runtimes: { runc: { path: "/usr/bin/crun" } } }))])
    expect(run.code).toBe(1)
    expect(stdoutJson(run).error._tag).toBe("InvalidRuntimeConfig")
  })

  it("prints a table: a verdict per runtime, the checks that did not pass, a summary", async () => {
    const box = sandbox()
    const config = box.config({
      runtimes: { ...kata, pinned: { path: "/usr/sbin/runc", runtimeArgs: ["--root", "/run/pinned"] } }
    })
    const run = await runCli(["doctor", ...box.flags(config)])
    expect(run.code).toBe(0)
    const out = lines(run.stdout)
    expect(out.slice(0, 3)).toEqual(["Default runtime: runc", `containerd:      ${hostContainerd}`, ""])
    expect(out[3]).toMatch(/^NAME +VERDICT +LEVEL +CHECK +FINDING$/)
    const kataLine = out.find((line) => line.startsWith("kata "))
    expect(kataLine).toMatch(/^kata +BROKEN +error +shim +containerd-shim-kata-v2 not found on PATH or beside /)
    expect(kataLine?.endsWith(` beside ${hostContainerd}`)).toBe(true)
    expect(out).toContainEqual(expect.stringMatching(/^pinned +ok +warning +runtime-args +runtimeArgs\[0\] --root \/run\/pinned never takes effect/))
    expect(out).toContainEqual(expect.stringMatching(/^runc +ok +-$/))
    expect(out.at(-1)).toBe("1 of 4 runtimes cannot run containers (kata); the default runtime (runc) can.")
    expect(run.stdout).not.toContain("\u001b[")
  })

  it("prints no finding against the stock runtimes on a host where they work", async () => {
    const box = sandbox()
    const run = await runCli(["doctor", ...box.flags(box.config({}))])
    expect(run.code).toBe(0)
    const out = lines(run.stdout)
    expect(out).toContainEqual(expect.stringMatching(/^io\.containerd\.runc\.v2 +ok +-$/))
    expect(out).toContainEqual(expect.stringMatching(/^runc +ok +-$/))
    expect(run.stdout).not.toContain("kubernetes-handler")
  })

  it("colours the table only when asked to or on a terminal", async () => {
    const box = sandbox()
    const run = await runCli(["doctor", ...box.flags(box.config({ runtimes: kata }))], { FORCE_COLOR: "1" })
    expect(run.stdout).toContain("\u001b[31mBROKEN")
  })

  it("--containerd names the containerd beside which shims are looked for", async () => {
    const box = sandbox()
    const containerd = executable(join(box.dir, "opt", "containerd"))
    executable(join(box.dir, "opt", "containerd-shim-kata-v2"))
    const run = await runCli(["doctor", "--json", "--containerd", containerd, ...box.flags(box.config({ runtimes: kata }))])
    const document = stdoutJson(run)
    expect(document.containerd).toBe(containerd)
    expect(document.runtimes.find((runtime: any) => runtime.name === "kata").checks[0]).toMatchObject({
      ok: true,
      message: `containerd-shim-kata-v2 found beside containerd: ${join(box.dir, "opt", "containerd-shim-kata-v2")}`
    })
  })

  it("ignores --write-wrappers with a warning, and writes nothing", async () => {
    const box = sandbox()
    const config = box.config({ runtimes: { debug: { path: "/usr/sbin/runc", runtimeArgs: ["--debug"] } } })
    const run = await runCli(["doctor", "--write-wrappers", ...box.flags(config)])
    expect(run.code).toBe(0)
    expect(lines(run.stderr)).toEqual(["warning: --write-wrappers: ignored: doctor never writes anything"])
    expect(box.listing()).toEqual(["daemon.json"])
  })

  it("--help describes the command and its --containerd flag", async () => {
    const run = await runCli(["doctor", "--help"])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("--containerd")
  })
})
