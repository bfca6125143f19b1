/**
 * `oci-runtimes serve` driven by the real docker CLI (Debian's docker.io,
 * `/usr/bin/docker`): what `docker info` shows, and how reloads by SIGHUP
 * and by file changes reach it. Every server started is killed after its
 * test, whatever happened, and its sandbox removed with any socket in it.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterEach, describe, expect, it } from "vitest"
import { bin, node, repoRoot, runCli, type Sandbox, sandbox, stdoutJson } from "./harness.ts"

const docker = "/usr/bin/docker"

interface Server {
  readonly child: ChildProcess
  readonly socket: string
  /** Everything written to stderr so far. */
  readonly stderr: () => string
  readonly stdout: () => string
  /** Resolves once stderr holds `text` (`times` times), fails after a while with what it does hold. */
  readonly logged: (text: string, times?: number) => Promise<void>
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const started: Array<Server> = []
const sandboxes: Array<Sandbox> = []

afterEach(() => {
  for (const server of started.splice(0)) if (server.child.exitCode === null) server.child.kill("SIGKILL")
  for (const box of sandboxes.splice(0)) rmSync(box.dir, { recursive: true, force: true })
})

const newSandbox = () => {
  const box = sandbox()
  sandboxes.push(box)
  return box
}

const occurrences = (text: string, part: string) => text.split(part).length - 1

/** `serve` with `args`; the environment's PATH unless `path` is given. */
const startServe = (args: ReadonlyArray<string>, socket: string, path?: string): Server => {
  const child = spawn(node, [bin, "serve", ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1", ...(path === undefined ? {} : { PATH: path }) },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stderr = ""
  let stdout = ""
  const waiting = new Set<() => void>()
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
    for (const check of waiting) check()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  )
  const logged = (text: string, times = 1) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(check)
        reject(new Error(`waited for ${JSON.stringify(text)} ×${times}; stderr:\n${stderr}`))
      }, 15_000)
      const check = () => {
        if (occurrences(stderr, text) < times) return
        clearTimeout(timer)
        waiting.delete(check)
        resolve()
      }
      waiting.add(check)
      check()
    })
  const server = { child, socket, stderr: () => stderr, stdout: () => stdout, logged, exited }
  started.push(server)
  return server
}

/** The docker CLI against `socket`, with a configuration directory of its own. */
const dockerCli = async (box: Sandbox, socket: string, ...args: Array<string>) => {
  const config = join(box.dir, "docker-config")
  mkdirSync(config, { recursive: true })
  const { stdout } = await promisify(execFile)(docker, ["-H", `unix://${socket}`, ...args], {
    env: { ...process.env, DOCKER_CONFIG: config },
    encoding: "utf8"
  })
  return stdout
}

/** Replaces daemon.json as editors save: a new file renamed over the old one. */
const saveByRename = (file: string, content: object) => {
  writeFileSync(`${file}.tmp`, JSON.stringify(content))
  renameSync(`${file}.tmp`, file)
}

/** The names on `docker info`'s Runtimes line, sorted: docker 20.10 prints them in Go's map order, which is random. */
const runtimesShown = (info: string) =>
  (/^ Runtimes:(.*)$/m.exec(info)?.[1] ?? "").split(" ").filter((name) => name !== "").sort()

const listening = (socket: string) => `listening on ${socket}`
const kata = { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } }

describe("serve, as the docker CLI sees it", () => {
  it("docker info shows the runtimes and the default runtime", async () => {
    const box = newSandbox()
    const config = box.config({ runtimes: { kata, "runc-debug": { path: "/usr/sbin/runc", runtimeArgs: ["--debug"] } } })
    const socket = join(box.dir, "api.sock")
    const server = startServe([...box.flags(config), "--default-runtime", "kata", "--socket", socket], socket)
    await server.logged(listening(socket))
    const info = await dockerCli(box, socket, "info")
    expect(runtimesShown(info)).toEqual(["io.containerd.runc.v2", "kata", "runc", "runc-debug"])
    expect(info).toContain(" Default Runtime: kata\n")
    expect(info).toContain(` Docker Root Dir: ${box.dataRoot}\n`)
    expect(server.stdout()).toBe("")
  })

  it("docker info's Runtimes, as JSON, equal what info --json prints for Runtimes", async () => {
    const box = newSandbox()
    // Fields docker 20.10's client knows (path, runtimeArgs): its types drop runtimeType, options and status.
    // An empty PATH: no runtime is found to probe, so none reports features (a status) either way.
    const config = box.config({
      runtimes: { "crun-debug": { path: "/nonexistent/crun", runtimeArgs: ["--debug", "--log-level=info"] } }
    })
    const socket = join(box.dir, "api.sock")
    const server = startServe([...box.flags(config), "--socket", socket], socket, "/nonexistent")
    const printed = stdoutJson(await runCli(["info", "--json", ...box.flags(config)], { PATH: "/nonexistent" }))
    await server.logged(listening(socket))
    const shown = JSON.parse(await dockerCli(box, socket, "info", "--format", "{{json .Runtimes}}"))
    expect(shown).toEqual(printed.Runtimes)
    expect(Object.keys(shown)).toEqual(Object.keys(printed.Runtimes))
  })

  it("after an edit and SIGHUP, the next docker info shows the change, once the reload is logged", async () => {
    const box = newSandbox()
    const config = box.config({})
    const socket = join(box.dir, "api.sock")
    const server = startServe([...box.flags(config), "--socket", socket], socket)
    await server.logged(listening(socket))
    expect(await dockerCli(box, socket, "info", "--format", "{{.DefaultRuntime}}")).toBe("runc\n")
    box.config({ runtimes: { kata }, "default-runtime": "kata" })
    server.child.kill("SIGHUP")
    await server.logged("runtimes set up (SIGHUP), generation 2")
    expect(await dockerCli(box, socket, "info", "--format", "{{.DefaultRuntime}}")).toBe("kata\n")
    expect(server.child.exitCode).toBe(null)
  })

  it("after an invalid edit and SIGHUP, the old table still answers and the log names each problem", async () => {
    const box = newSandbox()
    const config = box.config({ runtimes: { kata } })
    const socket = join(box.dir, "api.sock")
    const server = startServe([...box.flags(config), "--socket", socket], socket)
    await server.logged(listening(socket))
    box.config({ runtimes: { a: {}, b: { path: "/x", runtimeType: "io.containerd.b.v1" } } })
    server.child.kill("SIGHUP")
    await server.logged("runtime configuration refused (SIGHUP); generation 1 stays in force")
    await server.logged("runtimes.b: runtime b: cannot configure both path and runtimeType for the same runtime")
    expect(server.stderr()).toContain("runtimes.a: runtime a: either a runtimeType or a path must be configured")
    expect(await dockerCli(box, socket, "info", "--format", "{{.DefaultRuntime}}")).toBe("runc\n")
    expect(runtimesShown(await dockerCli(box, socket, "info"))).toEqual(["io.containerd.runc.v2", "kata", "runc"])
  })

  it("with --watch, a save by rename is picked up without a signal", async () => {
    const box = newSandbox()
    const config = box.config({})
    const socket = join(box.dir, "api.sock")
    const server = startServe([...box.flags(config), "--socket", socket, "--watch"], socket)
    await server.logged(listening(socket))
    saveByRename(config, { runtimes: { kata }, "default-runtime": "kata" })
    await server.logged("runtimes set up (file change), generation 2")
    expect(await dockerCli(box, socket, "info", "--format", "{{.DefaultRuntime}}")).toBe("kata\n")
  })

  it("listens on <exec-root>/oci-runtimes.sock by default, mode 0660", async () => {
    const box = newSandbox()
    mkdirSync(box.execRoot)
    const socket = join(box.execRoot, "oci-runtimes.sock")
    const server = startServe(box.flags(box.config({})), socket)
    await server.logged(listening(socket))
    expect(statSync(socket).mode & 0o777).toBe(0o660)
    expect(await dockerCli(box, socket, "info", "--format", "{{.DefaultRuntime}}")).toBe("runc\n")
  })

  it("SIGTERM stops it gracefully with exit 0: the stop is logged, the socket removed, stdout empty", async () => {
    const box = newSandbox()
    const socket = join(box.dir, "api.sock")
    const server = startServe([...box.flags(box.config({})), "--socket", socket], socket)
    await server.logged(listening(socket))
    server.child.kill("SIGTERM")
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.stderr()).toContain(`stopped; ${socket} removed`)
    expect(existsSync(socket)).toBe(false)
    expect(server.stdout()).toBe("")
  })

  it("a second SIGTERM while a request is still coming in exits 143 at once, with no word of containers", async () => {
    const box = newSandbox()
    const socket = join(box.dir, "api.sock")
    const server = startServe([...box.flags(box.config({})), "--socket", socket], socket)
    await server.logged(listening(socket))
    const client = connect(socket)
    client.on("error", () => {})
    // Headers never finished: the graceful stop waits for this request.
    client.write("GET /info HTTP/1.1\r\nHost: d\r\n")
    await new Promise((resolve) => client.once("ready", resolve))
    server.child.kill("SIGTERM")
    await server.logged("stopping: no new connections")
    server.child.kill("SIGTERM")
    expect(await server.exited).toEqual({ code: 143, signal: null })
    client.destroy()
    expect(server.stderr()).toContain("oci-runtimes: interrupted again: exiting without finishing cleanup\n")
    expect(server.stderr()).not.toContain("ctr")
  })

  it("SIGUSR1 (dockerd's stack dump) opens no Node inspector, and the server keeps answering", async () => {
    const box = newSandbox()
    const socket = join(box.dir, "api.sock")
    const server = startServe([...box.flags(box.config({})), "--socket", socket], socket)
    await server.logged(listening(socket))
    server.child.kill("SIGUSR1")
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await dockerCli(box, socket, "info", "--format", "{{.DefaultRuntime}}")).toBe("runc\n")
    expect(server.stderr()).not.toMatch(/debugger|inspector/i)
  })

  it("a second server on a socket the first listens on is refused with exit 1; the first keeps answering", async () => {
    const box = newSandbox()
    const config = box.config({})
    const socket = join(box.dir, "api.sock")
    const first = startServe([...box.flags(config), "--socket", socket], socket)
    await first.logged(listening(socket))
    const second = startServe([...box.flags(config), "--socket", socket], socket)
    expect(await second.exited).toEqual({ code: 1, signal: null })
    expect(second.stderr()).toContain(`cannot listen on ${socket}: another process is listening on it`)
    expect(second.stderr()).not.toContain("    at ")
    expect(await dockerCli(box, socket, "info", "--format", "{{.DefaultRuntime}}")).toBe("runc\n")
  })

  it("the socket a killed server left is replaced by the next one", async () => {
    const box = newSandbox()
    const config = box.config({})
    const socket = join(box.dir, "api.sock")
    const crashed = startServe([...box.flags(config), "--socket", socket], socket)
    await crashed.logged(listening(socket))
    crashed.child.kill("SIGKILL")
    await crashed.exited
    expect(existsSync(socket)).toBe(true)
    const next = startServe([...box.flags(config), "--socket", socket], socket)
    await next.logged(listening(socket))
    expect(next.stderr()).toContain(`removed the stale socket ${socket}`)
    expect(await dockerCli(box, socket, "info", "--format", "{{.DefaultRuntime}}")).toBe("runc\n")
  })

  it("a configuration that cannot boot is logged problem by problem, exit 1, no socket", async () => {
    const box = newSandbox()
    const socket = join(box.dir, "api.sock")
    const server = startServe([...box.flags(box.config({ runtimes: { runc: { path: "/usr/bin/runc" } } })), "--socket", socket], socket)
    expect(await server.exited).toEqual({ code: 1, signal: null })
    expect(server.stderr()).toContain("runtime configuration refused (boot); no runtimes are set up")
    expect(server.stderr()).toContain("runtime name 'runc' is reserved")
    expect(existsSync(socket)).toBe(false)
  })
})
