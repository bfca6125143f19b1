import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { closeSync, constants, openSync } from "node:fs"
import { join } from "node:path"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import {
  address,
  containerdFlags,
  hostileArgument,
  namespaceContents,
  recorder,
  rootfs,
  scratchDir
} from "../containerd/runSupport.ts"
import { bin, node, repoRoot, runCli, sandbox } from "./harness.ts"

const namespace = "cli-run-test"

/** `oci-runtimes run` on the private containerd, in a sandbox of its own, with `config` as daemon.json. */
const runArgs = (config: unknown, rest: ReadonlyArray<string>) => {
  const box = sandbox()
  return ["run", ...box.flags(box.config(config)), ...containerdFlags(namespace), ...rest]
}

/** The CLI processes a test started; whatever a failed test left running is stopped after it, as a user would. */
const runningClis = new Set<ChildProcess>()

/**
 * The CLI as a live process, for what happens while it runs: the first output
 * on stdout (unless stdout is given, as a descriptor), what it wrote to
 * stderr so far, a signal.
 */
const started = (args: ReadonlyArray<string>, stdout: "pipe" | number = "pipe") => {
  const child = spawn(node, [bin, ...args], { cwd: repoRoot, stdio: ["ignore", stdout, "pipe"] })
  runningClis.add(child)
  let out = ""
  let err = ""
  const firstOutput = new Promise<{ readonly at: number; readonly running: boolean }>((resolve) =>
    child.stdout?.once("data", () => resolve({ at: Date.now(), running: child.exitCode === null }))
  )
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk))
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk))
  const exited = new Promise<{ readonly code: number | null; readonly at: number }>((resolve) =>
    child.on("close", (code) => {
      runningClis.delete(child)
      resolve({ code, at: Date.now() })
    })
  )
  /** Resolves once stderr holds `text`. */
  const stderrHas = (text: string) =>
    new Promise<void>((resolve) => {
      const look = () => err.includes(text) && (child.stderr!.off("data", look), resolve())
      child.stderr!.on("data", look)
      look()
    })
  return { child, firstOutput, exited, stderrHas, output: () => ({ stdout: out, stderr: err }) }
}

afterEach(async () => {
  const left = [...runningClis].map((child) => new Promise((resolve) => child.once("close", resolve)))
  for (const child of runningClis) child.kill("SIGTERM")
  await Promise.all(left)
})

afterAll(() => {
  expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
})

describe("oci-runtimes run", () => {
  it("runs the command with the default runtime and passes its output through", async () => {
    const run = await runCli(runArgs({}, ["--", "/bin/sh", "-c", "echo out; echo err >&2"]))
    expect(run).toEqual({ code: 0, stdout: "out\n", stderr: "err\n" })
  })

  it("exits with the container's exit status", async () => {
    const run = await runCli(runArgs({}, ["--", "/bin/sh", "-c", "exit 42"]))
    expect(run.code).toBe(42)
  })

  it("exits 128+N when the container's process is killed by signal N", async () => {
    const live = started(runArgs({}, ["--", "/bin/sh", "-c", "echo up; exec sleep 30"]))
    await live.firstOutput
    const [id] = namespaceContents(namespace).tasks
    spawn("ctr", ["--address", address(), "--namespace", namespace, "tasks", "kill", "--signal", "SIGKILL", id!])
    expect((await live.exited).code).toBe(137)
  })

  it("runs the runtime named by --runtime, its runtimeArgs arriving byte for byte", async () => {
    const rec = recorder(scratchDir("cli-recorder"), 2)
    const config = { runtimes: { recorded: { path: rec.path, runtimeArgs: ["--test-marker", hostileArgument] } } }
    const run = await runCli(runArgs(config, ["--runtime", "recorded", "--", "/bin/busybox", "true"]))
    expect(run.code).toBe(0)
    const calls = rec.calls()
    expect(calls.some((argv) => argv.includes("create"))).toBe(true)
    for (const argv of calls) expect(argv.slice(0, 2)).toEqual(["--test-marker", hostileArgument])
  })

  it("refuses flag problems together with the configuration's own before it writes anything", async () => {
    const box = sandbox()
    const config = box.config({ runtimes: { broken: {} } })
    const args = ["run", ...box.flags(config), ...containerdFlags(namespace), "--add-runtime", "noeq", "--", "/bin/busybox", "true"]
    const run = await runCli(args)
    expect(run.code).toBe(1)
    expect(run.stderr.split("\n").filter((line) => line !== "")).toEqual([
      "error: --add-runtime noeq: invalid runtime argument: noeq",
      "error: runtimes.broken: runtime broken: either a runtimeType or a path must be configured"
    ])
  })

  it("runs the runtime named by default-runtime when no --runtime is given", async () => {
    const rec = recorder(scratchDir("cli-default"))
    const run = await runCli(runArgs({ "default-runtime": "mine", runtimes: { mine: { path: rec.path } } }, ["--", "/bin/busybox", "true"]))
    expect(run.code).toBe(0)
    expect(rec.calls().some((argv) => argv.includes("create"))).toBe(true)
  })

  it("puts runc's state under the Root option of a runtimeType runtime", async () => {
    const root = join(scratchDir("cli-root"), "state")
    const config = { runtimes: { typed: { runtimeType: "io.containerd.runc.v2", options: { Root: root } } } }
    const live = started(runArgs(config, ["--runtime", "typed", "--", "/bin/sh", "-c", "echo up; sleep 0.5"]))
    await live.firstOutput
    const [id] = namespaceContents(namespace).containers
    const state = await runcState(root, id!)
    expect((await live.exited).code).toBe(0)
    expect(state).toContain(`"id":"${id}"`)
  })

  it("names the shim binary containerd could not find, in one line, with exit 1", async () => {
    const config = { runtimes: { ghost: { runtimeType: "io.containerd.nonexistent.v1" } } }
    const run = await runCli(runArgs(config, ["--runtime", "ghost", "--", "/bin/busybox", "true"]))
    expect(run.code).toBe(1)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain("containerd-shim-nonexistent-v1")
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1)
  })

  it("stops at a failed pre-flight check with dockerd's words, exit 1", async () => {
    const config = { runtimes: { vanished: { path: "/nonexistent/runc", runtimeArgs: ["--debug"] } } }
    const run = await runCli(runArgs(config, ["--runtime", "vanished", "--", "/bin/busybox", "true"]))
    expect(run.code).toBe(1)
    expect(run.stderr).toContain("error while looking up the specified runtime path")
  })

  it("names the socket when containerd cannot be reached", async () => {
    const box = sandbox()
    const socket = join(box.dir, "no.sock")
    const run = await runCli(["run", ...box.flags(box.config({})), "--address", socket, "--rootfs", rootfs(), "--", "true"])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(socket)
    expect(run.stderr).not.toContain("    at ")
  })

  it("streams the container's output while it still runs", async () => {
    const live = started(runArgs({}, ["--", "/bin/sh", "-c", "echo first; sleep 1; echo second"]))
    const first = await live.firstOutput
    const exit = await live.exited
    expect(first.running).toBe(true)
    expect(exit.at - first.at).toBeGreaterThanOrEqual(900)
    expect(live.output().stdout).toBe("first\nsecond\n")
  })

  it("stops the container and exits 141 when its reader goes away, as `run … | head -1` does", async () => {
    const live = started(runArgs({}, ["--", "/bin/busybox", "yes"]))
    await live.firstOutput
    live.child.stdout!.destroy()
    const exit = await live.exited
    expect({ code: exit.code, stderr: live.output().stderr }).toEqual({ code: 141, stderr: "" })
    expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
  })

  it("exits 141, not dying, when its reader goes away while a write of the container's output waits in a full pipe", async () => {
    const fifo = join(scratchDir("cli-full-pipe"), "stdout")
    execFileSync("/usr/bin/mkfifo", [fifo])
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const writer = openSync(fifo, constants.O_WRONLY)
    // A pipe holds 64 KiB: the last 8 KiB of the burst wait in the CLI, below the 16 KiB at which Node asks writers to wait.
    const burst = "/bin/busybox head -c 73728 /dev/zero; echo burst >&2; exec /bin/busybox sleep 30"
    const run = started(runArgs({}, ["--", "/bin/sh", "-c", burst]), writer)
    closeSync(writer)
    await run.stderrHas("burst\n")
    // Time for the burst to reach the CLI's stdout, which nobody reads.
    await new Promise((resolve) => setTimeout(resolve, 300))
    closeSync(reader)
    const exit = await run.exited
    expect({ code: exit.code, stderr: run.output().stderr }).toEqual({ code: 141, stderr: "burst\n" })
    expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
  })

  it("refuses the host's root directory as the rootfs", async () => {
    const box = sandbox()
    const run = await runCli(["run", ...box.flags(box.config({})), ...containerdFlags(namespace).slice(0, 4), "--rootfs", "/", "--", "true"])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain("it is the host's root directory")
  })

  it("warns that --write-wrappers and --probe-timeout mean nothing to it", async () => {
    const run = await runCli(runArgs({}, ["--write-wrappers", "--probe-timeout", "1s", "--", "/bin/busybox", "true"]))
    expect(run.code).toBe(0)
    expect(run.stderr).toContain("warning: --write-wrappers: ignored")
    expect(run.stderr).toContain("warning: --probe-timeout: ignored")
  })

  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    it(`kills and removes the container on ${signal} and exits ${code}`, async () => {
      const live = started(runArgs({}, ["--", "/bin/sh", "-c", "echo up; exec sleep 30"]))
      await live.firstOutput
      expect(namespaceContents(namespace).tasks).toHaveLength(1)
      live.child.kill(signal)
      expect((await live.exited).code).toBe(code)
      expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
    })
  }
})

/** runc's own view of the container, asked with the state root the runtime was given (`runc --root R/NS state ID`). */
const runcState = (root: string, id: string) =>
  new Promise<string>((resolve, reject) => {
    const child = spawn("/usr/sbin/runc", ["--root", join(root, namespace), "state", id], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk))
    child.on("error", reject)
    child.on("close", () => resolve(out.replace(/\s+/g, "")))
  })
