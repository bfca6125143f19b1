/**
 * One private containerd for the whole test run, as root: its own socket,
 * root and state in a temporary directory, the CRI plugin (and with it its
 * TCP streaming server) disabled, and a rootfs holding a static busybox.
 * Test files get the addresses through vitest's `inject`.
 *
 * At the end, whatever a test left behind fails the run: any container or
 * task in any namespace is reported (and then removed), and containerd is
 * stopped either way.
 */
import { execFileSync, spawn } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    /** The private containerd's gRPC socket. */
    containerdAddress: string
    /** A directory holding /bin/busybox (static) and /bin/sh. */
    busyboxRootfs: string
    /** A scratch directory the tests may write into (removed at the end). */
    scratch: string
  }
}

const busybox = "/usr/bin/busybox"

const configToml = (dir: string) =>
  [
    "version = 2",
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    `disabled_plugins = ["io.containerd.grpc.v1.cri"]`,
    "[grpc]",
    `  address = "${dir}/containerd.sock"`,
    "[ttrpc]",
    `  address = "${dir}/containerd.sock.ttrpc"`,
    ""
  ].join("\n")

const answers = (socket: string) =>
  new Promise<boolean>((resolve) => {
    const connection = connect(socket)
    connection.once("connect", () => {
      connection.destroy()
      resolve(true)
    })
    connection.once("error", () => resolve(false))
  })

const ctr = (address: string, ...args: Array<string>) =>
  execFileSync("ctr", ["--address", address, ...args], { encoding: "utf8" }).split("\n").filter((line) => line !== "")

/** Every container and task still in containerd, as `namespace/id` lines; removes them. */
const leftovers = (address: string): Array<string> => {
  const found: Array<string> = []
  for (const namespace of ctr(address, "namespaces", "list", "--quiet")) {
    for (const task of ctr(address, "--namespace", namespace, "tasks", "list", "--quiet")) {
      found.push(`task ${namespace}/${task}`)
      execFileSync("ctr", ["--address", address, "--namespace", namespace, "tasks", "delete", "--force", task])
    }
    for (const container of ctr(address, "--namespace", namespace, "containers", "list", "--quiet")) {
      found.push(`container ${namespace}/${container}`)
      execFileSync("ctr", ["--address", address, "--namespace", namespace, "containers", "delete", container])
    }
  }
  return found
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "oci-runtimes-containerd-"))
  const address = join(dir, "containerd.sock")
  writeFileSync(join(dir, "config.toml"), configToml(dir))
  const rootfs = join(dir, "rootfs")
  mkdirSync(join(rootfs, "bin"), { recursive: true })
  copyFileSync(busybox, join(rootfs, "bin", "busybox"))
  symlinkSync("busybox", join(rootfs, "bin", "sh"))
  const scratch = join(dir, "scratch")
  mkdirSync(scratch)

  const daemon = spawn("containerd", ["--config", join(dir, "config.toml"), "--log-level", "warn"], {
    stdio: ["ignore", "ignore", "pipe"]
  })
  let log = ""
  daemon.stderr.on("data", (chunk) => (log += chunk))
  const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()))

  const deadline = Date.now() + 20_000
  while (!(await answers(address))) {
    if (daemon.exitCode !== null || Date.now() > deadline) {
      daemon.kill("SIGKILL")
      throw new Error(`containerd did not start on ${address}:\n${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  project.provide("containerdAddress", address)
  project.provide("busyboxRootfs", rootfs)
  project.provide("scratch", scratch)

  return async () => {
    let left: Array<string> = []
    try {
      left = leftovers(address)
    } finally {
      daemon.kill("SIGTERM")
      const forceKill = setTimeout(() => daemon.kill("SIGKILL"), 10_000)
      await exited
      clearTimeout(forceKill)
      rmSync(dir, { recursive: true, force: true })
    }
    if (left.length > 0) throw new Error(`tests left these in containerd:\n  ${left.join("\n  ")}`)
  }
}
