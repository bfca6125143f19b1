/**
 * A private containerd, as root: its own socket, root, state and log
 * (`containerd.log`) in a directory of the caller's, with the CRI plugin (and with it its TCP
 * streaming server) disabled; and a root filesystem holding a static busybox.
 * Used by the tests' global setup and by the benchmark.
 */
import { execFileSync, spawn } from "node:child_process"
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { join } from "node:path"

export interface PrivateContainerd {
  /** The gRPC socket. */
  readonly address: string
  /** Stops containerd (SIGTERM, SIGKILL after 10 s) and waits until it has exited. */
  readonly stop: () => Promise<void>
}

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

/** Whether something accepts connections on the unix socket. */
export const answers = (socket: string) =>
  new Promise<boolean>((resolve) => {
    const connection = connect(socket)
    connection.once("connect", () => {
      connection.destroy()
      resolve(true)
    })
    connection.once("error", () => resolve(false))
  })

/** Starts containerd in `dir` and resolves once its socket answers (within 20 s). */
export const startContainerd = async (dir: string): Promise<PrivateContainerd> => {
  const address = join(dir, "containerd.sock")
  writeFileSync(join(dir, "config.toml"), configToml(dir))
  // The log goes to a file, not a pipe: a caller that blocks its event loop
  // (spawnSync in the benchmark) would stop draining a pipe, and containerd
  // hangs once its log pipe is full.
  const logFile = join(dir, "containerd.log")
  const logFd = openSync(logFile, "a")
  const daemon = spawn("containerd", ["--config", join(dir, "config.toml"), "--log-level", "warn"], {
    stdio: ["ignore", "ignore", logFd]
  })
  closeSync(logFd)
  const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()))
  const stop = async () => {
    daemon.kill("SIGTERM")
    const forceKill = setTimeout(() => daemon.kill("SIGKILL"), 10_000)
    await exited
    clearTimeout(forceKill)
  }

  const deadline = Date.now() + 20_000
  while (!(await answers(address))) {
    if (daemon.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`containerd did not start on ${address}:\n${readFileSync(logFile, "utf8")}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { address, stop }
}

/** A root filesystem in `dir`: /bin/busybox (static) and /bin/sh linked to it. */
export const makeBusyboxRootfs = (dir: string): string => {
  mkdirSync(join(dir, "bin"), { recursive: true })
  copyFileSync("/usr/bin/busybox", join(dir, "bin", "busybox"))
  symlinkSync("busybox", join(dir, "bin", "sh"))
  return dir
}

const ctr = (address: string, ...args: Array<string>) =>
  execFileSync("ctr", ["--address", address, ...args], { encoding: "utf8" }).split("\n").filter((line) => line !== "")

/** Every container and task left in any namespace, as `task ns/id` lines; removes them. */
export const removeLeftovers = (address: string): Array<string> => {
  const found: Array<string> = []
  for (const namespace of ctr(address, "namespaces", "list", "--quiet")) {
    for (const task of ctr(address, "--namespace", namespace, "tasks", "list", "--quiet")) {
      found.push(`task ${namespace}/${task}`)
      ctr(address, "--namespace", namespace, "tasks", "delete", "--force", task)
    }
    for (const container of ctr(address, "--namespace", namespace, "containers", "list", "--quiet")) {
      found.push(`container ${namespace}/${container}`)
      ctr(address, "--namespace", namespace, "containers", "delete", container)
    }
  }
  return found
}
