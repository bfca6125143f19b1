/**
 * `npm run bench [-- --runs N --warmup N]` (or BENCH_RUNS / BENCH_WARMUP):
 * 1. registry boot against the real filesystem and real `runc features` probes;
 * 2. planning alone; 3. `get` on a booted registry; 4. CLI start-up;
 * 5. `run` beside `ctr run` and `check` of ten runtimes on a private containerd (as root).
 * Every case reports median, min and max over N runs after the warm-up runs.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Result from "effect/Result"
import { execFile, execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { availableParallelism, loadavg } from "node:os"
import { performance } from "node:perf_hooks"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import type { DaemonConfig } from "../src/config/DaemonConfig.ts"
import * as FeatureProbe from "../src/features/FeatureProbe.ts"
import * as HostFacts from "../src/host/HostFacts.ts"
import * as PathLookup from "../src/host/PathLookup.ts"
import * as Registry from "../src/registry/Registry.ts"
import { planRuntimes } from "../src/registry/RuntimePlan.ts"
import type { RuntimeTable } from "../src/registry/RuntimeTable.ts"
import { firstRuntime, host, makeScratch, mixedConfig, runc } from "./fixtures.ts"
import { makeBusyboxRootfs, startContainerd } from "../test/containerd/PrivateContainerd.ts"
import { alternate, header, millisPerOp, note, perSecond, row, type Settings } from "./measure.ts"

const { values: flags } = parseArgs({ options: { runs: { type: "string" }, warmup: { type: "string" } } })
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

const startedAt = performance.now()
const scratch = makeScratch()
const print = (line: string) => console.log(line)

const runcVersion = execFileSync(runc, ["--version"], { encoding: "utf8" }).split("\n")[0]
print(
  `oci-runtimes bench: node ${process.version}, ${process.platform} ${process.arch}, ${availableParallelism()} cpus, ` +
    `load ${loadavg()[0]!.toFixed(2)}`
)
print(`${runcVersion} (${runc}); ${settings.runs} runs after ${settings.warmup} warm-up (--runs, --warmup)`)

/** Real host facts, PATH lookup, feature probes and file system. */
const platform = Layer.mergeAll(HostFacts.layer, PathLookup.layer, FeatureProbe.layer).pipe(
  Layer.provideMerge(NodeServices.layer)
)

/** A live registry with the given probe concurrency, and what to call it with. */
const withRegistry = async <A>(
  concurrency: number,
  use: (registry: Registry.RuntimeRegistry) => Promise<A>
): Promise<A> => {
  const runtime = ManagedRuntime.make(Registry.layer({ probe: { concurrency } }).pipe(Layer.provide(platform)))
  try {
    return await use(await runtime.runPromise(Effect.service(Registry.RuntimeRegistry)))
  } finally {
    await runtime.dispose()
  }
}

const probeCount = (table: RuntimeTable) =>
  new Set(table.runtimes.flatMap((runtime) =>
    runtime.featuresArgv === undefined ? [] : [FeatureProbe.argvKey(runtime.featuresArgv)]
  )).size

// 1. Boot ---------------------------------------------------------------------

const hundredSymlinks = scratch.symlinked(100)
const hundredWithArgs = scratch.withArgs(100)
const hundredShared = scratch.shared(100)

print(header("1. boot: RuntimeRegistry.boot, 100 path runtimes + 2 stock, real fs and `runc features`", "ms per boot"))
const bootCase = async (label: string, config: DaemonConfig, concurrency: number) =>
  withRegistry(concurrency, async (registry) => {
    const table = await Effect.runPromise(registry.boot(config))
    const summary = await millisPerOp(settings, () => Effect.runPromise(registry.boot(config)))
    print(row(`${label}, concurrency ${concurrency}: ${probeCount(table)} probes`, summary, 1))
    if (table.warnings.length > 0) print(note(`${table.warnings.length} warnings, e.g. ${table.warnings[0]!.message}`))
  })
await bootCase("100 symlinks to runc", hundredSymlinks, FeatureProbe.defaultConcurrency)
await bootCase("100 symlinks to runc", hundredSymlinks, 1)
await bootCase("100 --root args + 100 wrapper scripts", hundredWithArgs, FeatureProbe.defaultConcurrency)
await bootCase("100 sharing one argv (dedupe)", hundredShared, FeatureProbe.defaultConcurrency)

// The probes of the symlinks case without the rest of boot, then without Effect.
const argvs = [["runc"], ...Object.values(hundredSymlinks.runtimes).map((runtime) => [runtime.path!])]
const probeAll = Effect.gen(function*() {
  return yield* (yield* FeatureProbe.FeatureProbe).probeAll(argvs)
}).pipe(Effect.provide(platform))
const width = FeatureProbe.defaultConcurrency
print(row(
  `FeatureProbe.probeAll alone, concurrency ${width}: ${argvs.length} probes`,
  await millisPerOp(settings, () => Effect.runPromise(probeAll)),
  1
))
const execFeatures = (binary: string) =>
  new Promise((resolve, reject) => execFile(binary, ["features"], (error) => error ? reject(error) : resolve(undefined)))
const execPool = async () => {
  let next = 0
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < argvs.length) await execFeatures(argvs[next++]![0]!)
  }))
}
print(row(`floor: node execFile, ${width} at a time: ${argvs.length} execs`, await millisPerOp(settings, execPool), 1))
print(row(
  `dockerd-like: ${argvs.length} serial execFileSync`,
  await millisPerOp(settings, () => {
    for (const [binary] of argvs) execFileSync(binary!, ["features"], { stdio: ["ignore", "pipe", "ignore"] })
  }),
  1
))

// 2. Planning -----------------------------------------------------------------

print(header("2. planRuntimes alone: 1/3 path, 1/3 path + runtimeArgs, 1/3 runtimeType + options", "ms per plan"))
for (const [size, perBatch] of [[100, 50], [1000, 5]] as const) {
  const config = mixedConfig(size)
  const result = planRuntimes(config, host)
  if (Result.isFailure(result)) throw new Error(result.failure.message)
  const summary = await millisPerOp(settings, () => {
    for (let i = 0; i < perBatch; i++) planRuntimes(config, host)
  }, perBatch)
  print(row(`${size} runtimes (${result.success.runtimes.length} planned)`, summary, 3))
  print(note(`${Math.round(perSecond(summary).median)} plans/s`))
}

// 3. get ----------------------------------------------------------------------

print(header("3. get on a booted registry (the 100 --root runtimes)", "thousand gets per second"))
await withRegistry(FeatureProbe.defaultConcurrency, async (registry) => {
  await Effect.runPromise(registry.boot(hundredWithArgs))
  const cases = [
    ["stock name `runc`", "runc", 20_000],
    [`wrapper runtime \`${firstRuntime}\` (+ pre-flight stat)`, firstRuntime, 2_000],
    ["pass-through `io.containerd.kata.v2`", "io.containerd.kata.v2", 20_000]
  ] as const
  for (const [label, name, perBatch] of cases) {
    const gets = Effect.gen(function*() {
      for (let i = 0; i < perBatch; i++) yield* registry.get(name)
    })
    const millis = await millisPerOp(settings, () => Effect.runPromise(gets), perBatch)
    print(row(`${label}, ${perBatch} per run`, perSecond(millis, 1000), 1))
  }
})

// 4. CLI ----------------------------------------------------------------------

const bin = fileURLToPath(new URL("../bin/oci-runtimes.mjs", import.meta.url))
print(header("4. CLI start-up: `node bin/oci-runtimes.mjs …` as a child process", "ms wall time"))
if (!existsSync(bin)) {
  print(note("skipped: bin/oci-runtimes.mjs does not exist yet"))
} else {
  const daemonJson = scratch.smallDaemonJson()
  const cases = [
    ["--help", ["--help"]],
    ["validate --config <daemon.json, 3 runtimes>", ["validate", "--config", daemonJson]]
  ] as const
  for (const [label, args] of cases) {
    const run = () => spawnSync(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    const status = run().status
    print(row(`${label} (exit ${status})`, await millisPerOp(settings, run), 1))
  }
}

// 5. run and check ------------------------------------------------------------

print(header("5. `oci-runtimes run … -- /bin/busybox true` beside `ctr run --rm`, one private containerd", "ms wall time"))
if (process.getuid?.() !== 0) {
  print(note("skipped: running containers needs root"))
} else {
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
    const pairs = await alternate(settings, ourRun, ctrRun)
    print(row(`oci-runtimes run (exit ${ourRun().status})`, pairs.a, 1))
    print(row(`ctr run --rm --rootfs (exit ${ctrRun().status})`, pairs.b, 1))
    print(row("ratio oci-runtimes / ctr, pair by pair", pairs.ratio, 2))

    const tenRuntimes = join(scratch.dir, "ten.json")
    writeFileSync(
      tenRuntimes,
      JSON.stringify({ runtimes: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`runc-${i}`, { path: runc }])) })
    )
    const check = ours("check", "--config", tenRuntimes, "--rootfs", rootfs)
    const checkStatus = check().status
    const checkSummary = await millisPerOp(settings, check)
    print(row(`oci-runtimes check, 10 runtimes (exit ${checkStatus})`, checkSummary, 1))
    print(note(`${(checkSummary.median / pairs.a.median).toFixed(1)}× one run: the smoke containers run 4 at a time`))
  } finally {
    await containerd.stop()
  }
}

scratch.remove()
print(`\ntotal ${((performance.now() - startedAt) / 1000).toFixed(1)} s`)
