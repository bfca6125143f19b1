/**
 * `serve-load`: the real `oci-runtimes serve` process under load. Clients on
 * its unix socket send `GET /info` while the configuration file alternates
 * between two configurations, each change followed by SIGHUP and awaited on
 * the reload's log line. Every answer must succeed and come from exactly one
 * of the two tables; the server's RSS is sampled throughout, to show it flat.
 * Bounded in requests, reloads and time.
 */
import { spawn } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { Agent, request } from "node:http"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { summarize, type Summary } from "./measure.ts"

export interface LoadSettings {
  readonly requests: number
  readonly clients: number
  readonly reloads: number
  /** The whole scenario is abandoned (and fails) after this. */
  readonly limitMillis: number
}

export interface LoadResult {
  readonly requests: number
  readonly errors: number
  /** Answers from each configuration's table, and from neither. */
  readonly fromA: number
  readonly fromB: number
  readonly fromNeither: number
  readonly reloads: number
  readonly wallMillis: number
  readonly latencyMillis: Summary & { readonly p99: number }
  /** Resident set size of the server, in MiB: before the load, after each quarter of the requests, and its peak. */
  readonly rssMiB: { readonly before: number; readonly quarters: ReadonlyArray<number>; readonly peak: number }
}

const bin = fileURLToPath(new URL("../bin/oci-runtimes.mjs", import.meta.url))
const node = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url))

const rssMiB = (pid: number): number => {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return line === null ? 0 : Number(line[1]) / 1024
}

/** GET `path` on the socket: the status and body. */
const get = (agent: Agent, socket: string, path: string) =>
  new Promise<{ readonly status: number; readonly body: string }>((resolve, reject) => {
    const outgoing = request({ socketPath: socket, path, agent }, (response) => {
      let body = ""
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }))
      response.on("error", reject)
    })
    outgoing.on("error", reject)
    outgoing.end()
  })

/** Which table an answer came from: its runtimes and default runtime, the parts that differ. */
const tableOf = (body: string): string => {
  const info = JSON.parse(body) as { readonly Runtimes: unknown; readonly DefaultRuntime: string }
  return `${info.DefaultRuntime} ${JSON.stringify(info.Runtimes)}`
}

/**
 * Runs the scenario in `dir` with configurations `a` and `b` (daemon.json
 * contents), `flags` (data and exec roots) passed to serve.
 */
export const serveLoad = async (
  dir: string,
  a: object,
  b: object,
  flags: ReadonlyArray<string>,
  settings: LoadSettings
): Promise<LoadResult> => {
  const file = join(dir, "serve-daemon.json")
  const socket = join(dir, "serve.sock")
  writeFileSync(file, JSON.stringify(a))
  const child = spawn(node, [bin, "serve", "--config", file, "--socket", socket, ...flags], {
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  let onLog = () => {}
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
    onLog()
  })
  const deadline = performance.now() + settings.limitMillis
  /** Resolves once stderr holds `text`; fails if the server exits first or time runs out. */
  const logged = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (stderr.includes(text)) resolve()
        else if (child.exitCode !== null || performance.now() > deadline) reject(new Error(`no "${text}" in:\n${stderr}`))
        else return
        clearInterval(timer)
      }
      const timer = setInterval(check, 100)
      onLog = check
      check()
    })
  try {
    await logged(`listening on ${socket}`)
    const agent = new Agent({ keepAlive: true, maxSockets: settings.clients })
    let generation = 1
    const reloadTo = async (content: object) => {
      writeFileSync(file, JSON.stringify(content))
      generation++
      child.kill("SIGHUP")
      await logged(`runtimes set up (SIGHUP), generation ${generation}:`)
    }
    // The two tables as the server itself answers them.
    const tableA = tableOf((await get(agent, socket, "/info")).body)
    await reloadTo(b)
    const tableB = tableOf((await get(agent, socket, "/info")).body)
    await reloadTo(a)
    const before = rssMiB(child.pid!)
    let peak = before
    const latencies: Array<number> = []
    const quarters: Array<number> = []
    const sampler = setInterval(() => {
      const now = rssMiB(child.pid!)
      peak = Math.max(peak, now)
      if (latencies.length >= ((quarters.length + 1) * settings.requests) / 4) quarters.push(now)
    }, 20)

    const counts = { errors: 0, fromA: 0, fromB: 0, fromNeither: 0 }
    let issued = 0
    const client = async () => {
      while (issued < settings.requests && performance.now() < deadline) {
        issued++
        const start = performance.now()
        try {
          const reply = await get(agent, socket, "/v1.41/info")
          latencies.push(performance.now() - start)
          if (reply.status !== 200) counts.errors++
          else {
            const table = tableOf(reply.body)
            if (table === tableA) counts.fromA++
            else if (table === tableB) counts.fromB++
            else counts.fromNeither++
          }
        } catch {
          counts.errors++
        }
      }
    }
    let reloads = 0
    const reloader = async () => {
      // Spread over the requests: each reload waits for its log line, then for a share of the requests.
      const every = Math.max(1, Math.floor(settings.requests / (settings.reloads + 1)))
      while (reloads < settings.reloads && performance.now() < deadline) {
        while (issued < (reloads + 1) * every && issued < settings.requests) await new Promise((r) => setTimeout(r, 1))
        await reloadTo(reloads % 2 === 0 ? b : a)
        reloads++
      }
    }
    const started = performance.now()
    await Promise.all([reloader(), ...Array.from({ length: settings.clients }, client)])
    const wallMillis = performance.now() - started
    clearInterval(sampler)
    agent.destroy()
    while (quarters.length < 4) quarters.push(rssMiB(child.pid!))
    if (performance.now() > deadline) throw new Error(`serve-load took longer than ${settings.limitMillis} ms`)
    const sorted = [...latencies].sort((x, y) => x - y)
    return {
      requests: issued,
      ...counts,
      reloads,
      wallMillis,
      latencyMillis: { ...summarize(latencies), p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0 },
      rssMiB: { before, quarters, peak }
    }
  } finally {
    child.kill("SIGTERM")
    await new Promise((resolve) => child.exitCode === null ? child.once("exit", resolve) : resolve(undefined))
  }
}
