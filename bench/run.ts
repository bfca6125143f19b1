/**
 * `npm run bench [-- --runs N --warmup N --json]` (or BENCH_RUNS / BENCH_WARMUP).
 *
 * Every scenario goes through the public library API, as the README's
 * embedding example uses it (a `RuntimeRegistry` over the real filesystem and
 * the real `runc features`), and reports median, min and max over N runs after
 * the warm-up runs:
 * - `boot-100`, `boot-realistic`: a first boot of a new registry, beside
 *   dockerd's serial algorithm (`serial.ts`) in the same run, pair by pair;
 * - `reload-1000`: a reload with every script in place and no binary changed;
 * - `get`: ns per call inside one Effect loop;
 * - `cli-validate`, `cli-version`: whole-process wall time of the CLI;
 * - `run`, `ctr-run`, `check-10`: containers on a private containerd (root only);
 * - `serve-load`: `GET /info` on `serve`'s socket from 50 clients during 100 reloads (`serve.ts`).
 * `--json` prints one JSON object per scenario and line instead of the tables;
 * `--only a,b` runs only the sections with those scenarios (`boot-100`,
 * `boot-realistic`, `reload-1000`, `get`, `plan`, `cli-version`,
 * `cli-validate`, `run`, `check-10`, `serve-load`), for measuring while changing one.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Result from "effect/Result"
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { availableParallelism, loadavg } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import type { DaemonConfig } from "../src/config/DaemonConfig.ts"
import * as FeatureProbe from "../src/features/FeatureProbe.ts"
import * as ProbeRunner from "../src/features/ProbeRunner.ts"
import * as FileIdentity from "../src/host/FileIdentity.ts"
import * as HostFacts from "../src/host/HostFacts.ts"
import * as PathLookup from "../src/host/PathLookup.ts"
import * as Registry from "../src/registry/Registry.ts"
import { planRuntimes } from "../src/registry/RuntimePlan.ts"
import { makeBusyboxRootfs, startContainerd } from "../test/containerd/PrivateContainerd.ts"
import {
  boot100Runtimes,
  host,
  makeScratch,
  mixedConfig,
  realisticRuntimes,
  reload1000Runtimes,
  runc
} from "./fixtures.ts"
import {
  alternate,
  header,
  jsonLine,
  millisPerOp,
  note,
  nsPerCallLine,
  row,
  type ScenarioResult,
  type Settings,
  type Summary
} from "./measure.ts"
import { serialSetup } from "./serial.ts"
import { serveLoad } from "./serve.ts"

const { values: flags } = parseArgs({
  options: { runs: { type: "string" }, warmup: { type: "string" }, json: { type: "boolean" }, only: { type: "string" } }
})
const count = (text: string | undefined, fallback: number, minimum: number): number => {
  if (text === undefined || text === "") return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < minimum) throw new Error(`expected an integer >= ${minimum}, got ${text}`)
  return value
}
const settings: Settings = {
  runs: count(flags.runs ?? process.env["BENCH_RUNS"], 10, 1),
  warmup: count(flags.warmup ?? process.env["BENCH_WARMUP"], 1, 0)
}
const json = flags.json === true
const only = flags.only === undefined ? undefined : new Set(flags.only.split(","))
/** Whether any of these scenarios is to run. */
const wanted = (...scenarios: ReadonlyArray<string>) => only === undefined || scenarios.some((name) => only.has(name))

const startedAt = performance.now()
const scratch = makeScratch()
/** Tables and notes for people; nothing but the JSON lines with `--json`. */
const print = (line: string) => json || console.log(line)
const report = (result: ScenarioResult, label: string, yardstick = "the dockerd-like serial setup") => {
  if (json) console.log(jsonLine(result))
  else {
    print(row(`${label}: ${result.probes} probes`, result.summary, 1))
    if (result.ratio !== undefined) print(row(`  ratio to ${yardstick}, pair by pair`, result.ratio, 3))
  }
}

const runcVersion = execFileSync(runc, ["--version"], { encoding: "utf8" }).split("\n")[0]
print(
  `oci-runtimes bench: node ${process.version}, ${process.platform} ${process.arch}, ${availableParallelism()} cpus, ` +
    `load ${loadavg()[0]!.toFixed(2)}`
)
print(`${runcVersion} (${runc}); ${settings.runs} runs after ${settings.warmup} warm-up (--runs, --warmup, --json)`)

/** `features` processes started so far, counted by the runner every probe goes through. */
let probesRun = 0
const countingRunner = Layer.effect(ProbeRunner.ProbeRunner)(
  Effect.map(Effect.service(ProbeRunner.ProbeRunner), (runner) => ({
    run: (request: ProbeRunner.ProbeRequest) => Effect.suspend(() => (probesRun++, runner.run(request)))
  }))
).pipe(Layer.provide(ProbeRunner.layer))

/**
 * Real host facts, PATH lookup, feature probes and file system, as the
 * README's embedding example has them (`FeatureProbe.layer` is
 * `layerFromServices` over these same parts, minus the counting).
 */
const platform = Layer.mergeAll(
  HostFacts.layer,
  PathLookup.layer,
  FileIdentity.layer,
  FeatureProbe.layerFromServices.pipe(
    Layer.provide(Layer.mergeAll(countingRunner, PathLookup.layer, FileIdentity.layer))
  )
).pipe(Layer.provideMerge(NodeServices.layer))

/** A new live registry (with a cold features cache), and how to release it. */
const newRegistry = async () => {
  const runtime = ManagedRuntime.make(Registry.layer().pipe(Layer.provideMerge(platform)))
  const registry = await runtime.runPromise(Effect.service(Registry.RuntimeRegistry))
  return { registry, probesRun: () => probesRun, dispose: () => runtime.dispose() }
}

type Live = Awaited<ReturnType<typeof newRegistry>>

/** The probes a first setup of `config` runs: one per distinct features argv. */
const distinctArgvs = (config: DaemonConfig): number => {
  const plan = planRuntimes(config, host)
  if (Result.isFailure(plan)) throw new Error(plan.failure.message)
  return new Set(plan.success.runtimes.flatMap((runtime) =>
    runtime.featuresArgv === undefined ? [] : [FeatureProbe.argvKey(runtime.featuresArgv)]
  )).size
}

// Boot --------------------------------------------------------------------------

/**
 * A first boot of a new registry over an empty data root, beside a
 * dockerd-like serial setup of the same configuration over its own.
 */
const bootScenario = async (scenario: string, label: string, config: DaemonConfig) => {
  const serialConfig = { ...config, dataRoot: `${config.dataRoot}-serial` }
  let live: Live | undefined
  let probes = 0
  const ours = {
    prepare: async () => {
      await live?.dispose()
      rmSync(config.dataRoot, { recursive: true, force: true })
      live = await newRegistry()
    },
    run: async () => {
      const before = live!.probesRun()
      await Effect.runPromise(live!.registry.boot(config))
      probes = (live!.probesRun()) - before
    }
  }
  let execs = 0
  const serial = { run: () => void (execs = serialSetup(serialConfig)) }
  const pairs = await alternate(settings, ours, serial)
  await live?.dispose()
  report({ scenario, summary: pairs.a, runs: settings.runs, probes, ratio: pairs.ratio }, label)
  report({ scenario: `${scenario}-serial`, summary: pairs.b, runs: settings.runs, probes: execs }, "  dockerd-like serial")
}

if (wanted("boot-100", "boot-realistic")) {
  print(header("boot: a new RuntimeRegistry's first boot, real fs and `runc features`", "ms per boot"))
}
if (wanted("boot-100")) {
  await bootScenario(
    "boot-100",
    "boot-100: 100 runc runtimes, 50 with --root (5 scripts)",
    scratch.config("boot-100", boot100Runtimes)
  )
}
if (wanted("boot-realistic")) {
  await bootScenario(
    "boot-realistic",
    "boot-realistic: crun, runc --debug, kata, gvisor",
    scratch.config("realistic", realisticRuntimes)
  )
}

// Reload ------------------------------------------------------------------------

if (wanted("reload-1000")) {
  print(header("reload: the same configuration again, every script in place, no binary changed", "ms per reload"))
  const config = scratch.config("reload-1000", reload1000Runtimes)
  const live = await newRegistry()
  try {
    await Effect.runPromise(live.registry.boot(config))
    let probes = 0
    const summary = await millisPerOp(settings, async () => {
      const before = live.probesRun()
      await Effect.runPromise(live.registry.reload(config))
      probes = (live.probesRun()) - before
    })
    report({ scenario: "reload-1000", summary, runs: settings.runs, probes }, "reload-1000: 1,000 runtimes, 100 argvs")
  } finally {
    await live.dispose()
  }
}

// get ---------------------------------------------------------------------------

if (wanted("get")) {
  print(header("get on a booted registry, inside one Effect loop", "ns per call"))
  const live = await newRegistry()
  try {
    await Effect.runPromise(live.registry.boot(scratch.config("get", boot100Runtimes)))
    const perBatch = 100_000
    const gets = Effect.gen(function*() {
      for (let i = 0; i < perBatch; i++) yield* live.registry.get("rt0")
    })
    const millis = await millisPerOp(settings, () => Effect.runPromise(gets), perBatch)
    const ns: Summary = { median: millis.median * 1e6, min: millis.min * 1e6, max: millis.max * 1e6 }
    if (json) console.log(nsPerCallLine("get", ns, settings.runs))
    else print(row("get: path runtime rt0, no args", ns, 0))
    for (const [label, name] of [["stock name runc", "runc"], ["wrapper runtime rt1 (+ pre-flight stat)", "rt1"]]) {
      const some = Effect.gen(function*() {
        for (let i = 0; i < 2_000; i++) yield* live.registry.get(name!)
      })
      const each = await millisPerOp(settings, () => Effect.runPromise(some), 2_000)
      print(row(label!, { median: each.median * 1e6, min: each.min * 1e6, max: each.max * 1e6 }, 0))
    }
  } finally {
    await live.dispose()
  }
}

// Planning ----------------------------------------------------------------------

if (wanted("plan")) {
  print(header("planRuntimes alone: 1/3 path, 1/3 path + runtimeArgs, 1/3 runtimeType + options", "ms per plan"))
  for (const [size, perBatch] of [[100, 50], [1000, 5]] as const) {
    const config = mixedConfig(size)
    const result = planRuntimes(config, host)
    if (Result.isFailure(result)) throw new Error(result.failure.message)
    const summary = await millisPerOp(settings, () => {
      for (let i = 0; i < perBatch; i++) planRuntimes(config, host)
    }, perBatch)
    print(row(`${size} runtimes (${result.success.runtimes.length} planned)`, summary, 3))
  }
}

// CLI ---------------------------------------------------------------------------

const bin = fileURLToPath(new URL("../bin/oci-runtimes.mjs", import.meta.url))
if (wanted("cli-version", "cli-validate")) {
  print(header("CLI: `node bin/oci-runtimes.mjs …` as a child process", "ms wall time"))
  const realisticJson = scratch.daemonJson("cli-realistic", realisticRuntimes)
  const cases = [
    ["cli-version", "--version", ["--version"], 0],
    [
      "cli-validate",
      "validate --config <realistic daemon.json>",
      ["validate", "--config", realisticJson],
      distinctArgvs(scratch.config("cli-realistic", realisticRuntimes))
    ]
  ] as const
  for (const [scenario, label, args, probes] of cases.filter(([scenario]) => wanted(scenario))) {
    const run = () => spawnSync(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    const status = run().status
    report({ scenario, summary: await millisPerOp(settings, run), runs: settings.runs, probes }, `${label} (exit ${status})`)
  }
}

// run and check -----------------------------------------------------------------

/** `run` beside `ctr run --rm`, and `check` of 10 runtimes, on one private containerd. */
const runAndCheck = async () => {
  const containerdDir = join(scratch.dir, "containerd")
  mkdirSync(containerdDir)
  const containerd = await startContainerd(containerdDir)
  try {
    const rootfs = makeBusyboxRootfs(join(scratch.dir, "rootfs"))
    const emptyJson = join(scratch.dir, "empty.json")
    writeFileSync(emptyJson, "{}")
    const where = ["--address", containerd.address, "--namespace", "bench"]
    const ours = (command: string, ...args: Array<string>) => () =>
      spawnSync(process.execPath, [bin, command, ...where, "--data-root", join(scratch.dir, "data"), ...args], {
        stdio: ["ignore", "pipe", "pipe"]
      })
    let next = 0
    const ctrRun = () =>
      spawnSync("ctr", [...where, "run", "--rm", "--rootfs", rootfs, `bench-ctr-${next++}`, "/bin/busybox", "true"], {
        stdio: ["ignore", "pipe", "pipe"]
      })
    const ourRun = ours("run", "--config", emptyJson, "--rootfs", rootfs, "--", "/bin/busybox", "true")
    const pairs = await alternate(settings, { run: ourRun }, { run: ctrRun })
    report({ scenario: "run", summary: pairs.a, runs: settings.runs, probes: 0, ratio: pairs.ratio }, "oci-runtimes run", "ctr run")
    report({ scenario: "ctr-run", summary: pairs.b, runs: settings.runs, probes: 0 }, "ctr run --rm --rootfs")

    const tenRuntimes = join(scratch.dir, "ten.json")
    writeFileSync(
      tenRuntimes,
      JSON.stringify({ runtimes: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`runc-${i}`, { path: runc }])) })
    )
    const check = ours("check", "--config", tenRuntimes, "--rootfs", rootfs)
    const checkSummary = await millisPerOp(settings, check)
    report({ scenario: "check-10", summary: checkSummary, runs: settings.runs, probes: 0 }, "oci-runtimes check, 10 runtimes")
  } finally {
    await containerd.stop()
  }
}

if (wanted("run", "check-10")) {
  print(header("`oci-runtimes run … -- /bin/busybox true` beside `ctr run --rm`, one private containerd", "ms wall time"))
  if (process.getuid?.() !== 0) print(note("skipped: running containers needs root"))
  else await runAndCheck()
}

// serve under load ----------------------------------------------------------

if (wanted("serve-load")) {
  print(header("serve-load: GET /info on serve's unix socket while SIGHUP reloads alternate two configurations", "figures"))
  const settings = { requests: 10_000, clients: 50, reloads: 100, limitMillis: 120_000 }
  const dataRoot = join(scratch.dir, "serve-data")
  const a = { runtimes: realisticRuntimes }
  const b = { runtimes: { ...boot100Runtimes }, "default-runtime": "rt0" }
  const result = await serveLoad(scratch.dir, a, b, ["--data-root", dataRoot, "--exec-root", join(scratch.dir, "serve-exec")], settings)
  if (json) console.log(JSON.stringify({ scenario: "serve-load", ...result }))
  else {
    const { latencyMillis: latency, rssMiB: rss } = result
    print(note(`${result.requests} requests from ${settings.clients} clients, ${result.reloads} reloads, in ${(result.wallMillis / 1000).toFixed(2)} s: ` +
      `${Math.round(result.requests / (result.wallMillis / 1000))} requests/s`))
    print(note(`errors ${result.errors}; answers from table A ${result.fromA}, from table B ${result.fromB}, from neither ${result.fromNeither}`))
    print(note(`latency ms: median ${latency.median.toFixed(2)}, p99 ${latency.p99.toFixed(2)}, max ${latency.max.toFixed(2)}`))
    print(note(`serve's RSS MiB: before ${rss.before.toFixed(1)}; after each quarter of the requests ${
      rss.quarters.map((mib) => mib.toFixed(1)).join(", ")
    }; peak ${rss.peak.toFixed(1)}`))
  }
  if (result.errors > 0 || result.fromNeither > 0 || result.reloads < settings.reloads) {
    throw new Error(`serve-load failed: ${JSON.stringify(result)}`)
  }
}

scratch.remove()
print(`\ntotal ${((performance.now() - startedAt) / 1000).toFixed(1)} s`)
