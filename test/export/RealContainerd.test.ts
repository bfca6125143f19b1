/**
 * containerd 1.6 itself accepts the `containerd` export: a main config in a
 * temp dir imports the drop-in, `containerd config dump` shows every
 * handler with the exported runtime_type and options (values and TOML
 * types intact) and the default runtime name, and a containerd started with
 * that config — the CRI plugin enabled, on a private socket, root and state
 * — comes up with the CRI plugin loaded. It is stopped in a finalizer.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parse } from "smol-toml"
import { runCli, sandbox } from "../cli/harness.ts"
import { answers } from "../containerd/PrivateContainerd.ts"

const dir = mkdtempSync(join(tmpdir(), "oci-runtimes-export-containerd-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const box = sandbox()

const daemonJson = box.config({
  "default-runtime": "crun",
  runtimes: {
    crun: { path: "/usr/bin/crun" },
    "runc-debug": { path: "/usr/sbin/runc", runtimeArgs: ["--debug"] },
    kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } },
    ids: { runtimeType: "io.containerd.runc.v2", options: { BinaryName: "/usr/bin/crun", IoUid: 1000, IoGid: 1000, SystemdCgroup: true } }
  }
})

const mainConfig = (dropIn: string) =>
  [
    "version = 2",
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    `imports = ["${dropIn}"]`,
    "[grpc]",
    `  address = "${dir}/containerd.sock"`,
    "[ttrpc]",
    `  address = "${dir}/containerd.sock.ttrpc"`,
    `[plugins."io.containerd.grpc.v1.cri"]`,
    `  stream_server_address = "127.0.0.1"`,
    `  stream_server_port = "0"`,
    ""
  ].join("\n")

describe("containerd 1.6 loads the containerd export through imports", async () => {
  const run = await runCli(["export", "--to", "containerd", "--write-wrappers", ...box.flags(daemonJson)])
  const dropIn = join(dir, "runtimes.toml")
  writeFileSync(dropIn, run.stdout)
  const config = join(dir, "config.toml")
  writeFileSync(config, mainConfig(dropIn))
  const exported: any = parse(run.stdout, { integersAsBigInt: true })
  const exportedCri = exported.plugins["io.containerd.grpc.v1.cri"].containerd

  it("is exported", () => {
    expect(run.code).toBe(0)
  })

  it("config dump shows every handler with its runtime_type and options, types intact, and the default", () => {
    const dump: any = parse(execFileSync("containerd", ["--config", config, "config", "dump"], { encoding: "utf8" }), {
      integersAsBigInt: true
    })
    const cri = dump.plugins["io.containerd.grpc.v1.cri"].containerd
    expect(cri.default_runtime_name).toBe("crun")
    expect(Object.keys(exportedCri.runtimes).sort()).toEqual(["crun", "ids", "kata", "runc", "runc-debug"])
    for (const [handler, runtime] of Object.entries<any>(exportedCri.runtimes)) {
      expect(cri.runtimes[handler].runtime_type).toBe(runtime.runtime_type)
      expect(cri.runtimes[handler].options).toEqual(runtime.options)
    }
    expect(cri.runtimes.ids.options).toEqual({ BinaryName: "/usr/bin/crun", IoGid: 1000n, IoUid: 1000n, SystemdCgroup: true })
  })

  it("a containerd started with it runs, the CRI plugin loaded with every runtime", async () => {
    const daemon = spawn("containerd", ["--config", config, "--log-level", "info"], { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    daemon.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()))
    try {
      const deadline = Date.now() + 20_000
      while (!(await answers(join(dir, "containerd.sock")))) {
        if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`containerd did not start:\n${stderr}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const plugins = execFileSync("ctr", ["--address", join(dir, "containerd.sock"), "plugins", "ls"], { encoding: "utf8" })
      expect(plugins).toMatch(/io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok/)
      const started = stderr.split("\n").find((line) => line.includes("Start cri plugin with config")) ?? ""
      expect(started).toContain("DefaultRuntimeName:crun")
      expect(started).toContain("Options:map[BinaryName:/usr/bin/crun IoGid:1000 IoUid:1000 SystemdCgroup:true]")
      for (const handler of Object.keys(exportedCri.runtimes)) expect(started).toMatch(new RegExp(`[[ ]${handler}:\\{Type:`))
    } finally {
      daemon.kill("SIGTERM")
      const forceKill = setTimeout(() => daemon.kill("SIGKILL"), 10_000)
      await exited
      clearTimeout(forceKill)
    }
  })

  it("the wrapper script the export names was written", () => {
    const script = readFileSync(exportedCri.runtimes["runc-debug"].options.BinaryName, "utf8")
    expect(script).toBe("#!/bin/sh\nexec '/usr/sbin/runc' '--debug' \"$@\"\n")
  })
})
