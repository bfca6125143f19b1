/** `export` and `import` as a user runs them: output, findings on stderr, exit codes, --json. */
import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { parse } from "smol-toml"
import { runCli, sandbox, stdoutJson } from "./harness.ts"
import { nodeDaemonJson } from "../export/support.ts"

const box = sandbox()

const daemonJson = box.config(nodeDaemonJson)

describe("oci-runtimes export", () => {
  it("prints the document on stdout and what the target cannot express on stderr, exit 0", async () => {
    const run = await runCli(["export", "--to", "podman", ...box.flags(daemonJson)])
    expect(run.code).toBe(0)
    expect((parse(run.stdout) as any).engine.runtime).toBe("crun")
    expect(run.stderr).toBe(
      "problem: runtimes.kata: Podman runs runc-compatible binaries only, not the containerd shim io.containerd.kata.v2\n"
    )
  })

  it("writes nothing without --write-wrappers", async () => {
    const before = box.listing()
    await runCli(["export", "--to", "containerd", ...box.flags(daemonJson)])
    expect(box.listing()).toEqual(before)
  })

  it("--json prints the document, the text, the handlers and the findings as data", async () => {
    const run = await runCli(["export", "--to", "runtimeclass", "--json", ...box.flags(daemonJson)])
    const json = stdoutJson(run)
    expect(run.code).toBe(0)
    expect(json.format).toBe("runtimeclass")
    expect(json.document.map((object: any) => object.handler)).toEqual(["crun", "kata", "runc", "runc-debug"])
    expect(json.handlers).toEqual({ crun: "crun", kata: "kata", runc: "runc", "runc-debug": "runc-debug" })
    expect(json.findings.map((finding: any) => finding.path)).toEqual(["default-runtime"])
    expect(typeof json.text).toBe("string")
  })

  it("--json carries the configuration's own warnings too, beside the findings", async () => {
    const config = box.config({ runtimes: { odd: { runtimeType: "io.containerd.runc.v2", options: { CriuPath: "/x" } } } }, "warned.json")
    const json = stdoutJson(await runCli(["export", "--to", "containerd", "--json", ...box.flags(config)]))
    expect(json.warnings.map((warning: any) => warning.path)).toEqual(["runtimes.odd.options.CriuPath"])
  })

  it("a runtime name that is no handler fails, naming it and a handler to give it, exit 1", async () => {
    const config = box.config({ runtimes: { My_Runtime: { path: "/usr/bin/crun" } } }, "names.json")
    const run = await runCli(["export", "--to", "crio", ...box.flags(config)])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe("")
    expect(run.stderr).toBe(
      `error: runtimes.My_Runtime: runtime My_Runtime is not a valid handler name (a lowercase RFC 1123 DNS label): it contains "M"; ` +
        "give it one with --handler My_Runtime=my-runtime\n"
    )
    const renamed = await runCli(["export", "--to", "crio", "--handler", "My_Runtime=my-runtime", ...box.flags(config)])
    expect(renamed.code).toBe(0)
    expect(Object.keys((parse(renamed.stdout) as any).crio.runtime.runtimes)).toEqual(["my-runtime", "runc"])
  })

  it("--json reports a refusal as the error document", async () => {
    const run = await runCli(["export", "--to", "crio", "--json", "--handler", "nope=x", ...box.flags(daemonJson)])
    expect(run.code).toBe(1)
    expect(stdoutJson(run).error).toMatchObject({ _tag: "ExportError", reason: "UnknownRuntime" })
  })

  it("one runtime given two handlers fails, exit 1", async () => {
    const run = await runCli(["export", "--to", "crio", "--handler", "crun=a", "--handler", "crun=b", ...box.flags(daemonJson)])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe("error: --handler: runtime crun is given two handlers: a and b\n")
  })

  it.each([
    ["an unknown format", ["--to", "docker"]],
    ["a --handler without =", ["--to", "crio", "--handler", "crun"]],
    ["a --handler that is no DNS label", ["--to", "crio", "--handler", "crun=Crun"]]
  ])("%s is a usage error, exit 2", async (_, args) => {
    const run = await runCli(["export", ...args, ...box.flags(daemonJson)])
    expect(run.code).toBe(2)
  })
})

describe("oci-runtimes import", () => {
  it("prints the daemon.json of an exported file", async () => {
    const exported = await runCli(["export", "--to", "containerd", ...box.flags(daemonJson)])
    const file = box.config(exported.stdout, "containerd.toml")
    const run = await runCli(["import", "--from", "containerd", file, ...box.flags(daemonJson)])
    expect(run.code).toBe(0)
    expect(stdoutJson(run)).toEqual({
      "default-runtime": "crun",
      runtimes: {
        crun: { path: "/usr/bin/crun" },
        kata: { runtimeType: "io.containerd.kata.v2" },
        "runc-debug": { path: expect.stringMatching(/\/data\/runtimes\/runc-debug\./) }
      }
    })
    // The wrapper script was not written, so its runtimeArgs could not be read back: said so.
    expect(run.stderr).toMatch(/^warning: plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.runc-debug: .* could not be read/)
  })

  it("a file that is not TOML fails with where, exit 1", async () => {
    const file = box.config("[engine\n", "broken.conf")
    const run = await runCli(["import", "--from", "podman", file, ...box.flags(daemonJson)])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^error: .*broken\.conf: line 1, column \d+: /)
  })

  it("a file of another format fails, exit 1", async () => {
    const file = box.config("[crio.runtime]\n", "crio.conf")
    const run = await runCli(["import", "--from", "podman", file, ...box.flags(daemonJson)])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain("engine: no such table: not a containers.conf")
  })

  it("a file that is not a regular file is refused, exit 1", async () => {
    const run = await runCli(["import", "--from", "crio", "/dev/zero", ...box.flags(daemonJson)])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe("error: unable to read configuration file /dev/zero: not a regular file\n")
  })

  it("a FIFO or a device under a wrapper script's name is not read: the path comes back, with a warning", async () => {
    const scripts = join(box.dataRoot, "runtimes")
    mkdirSync(scripts, { recursive: true })
    execFileSync("/usr/bin/mkfifo", [join(scripts, "pipe")])
    execFileSync("/bin/ln", ["-s", "/dev/zero", join(scripts, "zero")])
    const file = box.config(`[engine.runtimes]\npipe = ["${scripts}/pipe"]\nzero = ["${scripts}/zero"]\n`, "fifo.conf")
    const run = await runCli(["import", "--from", "podman", file, ...box.flags(daemonJson)])
    expect(run.code).toBe(0)
    expect(stdoutJson(run).runtimes).toEqual({ pipe: { path: `${scripts}/pipe` }, zero: { path: `${scripts}/zero` } })
    expect(run.stderr.match(/could not be read/g)).toHaveLength(2)
  })

  it("a missing file fails, exit 1", async () => {
    const run = await runCli(["import", "--from", "crio", `${box.dir}/absent.conf`, ...box.flags(daemonJson)])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain("absent.conf")
  })
})
