/**
 * Podman itself (4.3) reads the `podman` export through CONTAINERS_CONF:
 * `podman --runtime NAME info` reports each exported runtime by its name
 * and exported path, and the exported cgroup manager. Run as root with a
 * private root, run root, tmpdir and network config dir in a temp dir;
 * the empty directories Podman and the runtimes create under /run
 * regardless are removed again, if they were not there before.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { parse } from "smol-toml"
import { runCli, sandbox } from "../cli/harness.ts"
import { nodeDaemonJson } from "./support.ts"

/** Created by podman info and the runtimes it asks for their version, whatever its flags say; deepest first. */
const createdUnderRun = ["/run/containers/networks", "/run/containers", "/run/crun", "/run/runc", "/run/libpod"]
const existedBefore = new Set(createdUnderRun.filter((path) => existsSync(path)))
afterAll(() => {
  for (const path of createdUnderRun) {
    if (existedBefore.has(path)) continue
    try {
      rmdirSync(path)
    } catch {
      // Not there, or no longer empty: then it is not only ours.
    }
  }
})

const dir = mkdtempSync(join(tmpdir(), "oci-runtimes-export-podman-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const box = sandbox()

const daemonJson = box.config(nodeDaemonJson)

const podmanInfo = async (conf: string, runtime: string) => {
  const { stdout } = await promisify(execFile)("podman", [
    "--root", join(dir, "root"),
    "--runroot", join(dir, "runroot"),
    "--tmpdir", join(dir, "tmp"),
    "--network-config-dir", join(dir, "networks"),
    "--runtime", runtime,
    "info", "--format", "json"
  ], { env: { ...process.env, CONTAINERS_CONF: conf } })
  return JSON.parse(stdout)
}

describe("podman reads the podman export through CONTAINERS_CONF", async () => {
  const run = await runCli(["export", "--to", "podman", "--write-wrappers", ...box.flags(daemonJson)])
  const conf = join(dir, "containers.conf")
  writeFileSync(conf, run.stdout)
  const engine: any = (parse(run.stdout) as any).engine

  it("is exported, the shim runtime reported as left out", () => {
    expect(run.code).toBe(0)
    expect(Object.keys(engine.runtimes).sort()).toEqual(["crun", "runc", "runc-debug"])
    expect(run.stderr).toContain("problem: runtimes.kata: Podman runs runc-compatible binaries only")
  })

  it("podman --runtime NAME info reports each exported runtime's name and path, and the cgroup manager", async () => {
    for (const [name, paths] of Object.entries<ReadonlyArray<string>>(engine.runtimes)) {
      const info = await podmanInfo(conf, name)
      expect({ name: info.host.ociRuntime.name, path: info.host.ociRuntime.path }).toEqual({ name, path: paths[0] })
      expect(info.host.cgroupManager).toBe(engine.cgroup_manager)
    }
  })
})
