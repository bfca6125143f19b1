import * as NodeServices from "@effect/platform-node/NodeServices"
import { afterAll, beforeAll, expect, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ConfigWarning } from "../../src/config/Problem.ts"
import {
  FeatureProbe,
  FeatureProbeDecodeError,
  FeatureProbeExitError,
  FeatureProbeOutputTooLarge,
  FeatureProbeSpawnError,
  FeatureProbeTimeout,
  layer as probeLayer,
  type ProbeOptions
} from "../../src/features/FeatureProbe.ts"

let dir = ""
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "feature-probe-"))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Writes an executable sh script into the test's temp dir and returns its path. */
const script = (name: string, body: string): string => {
  const path = join(dir, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

const fixture = (name: string): string => new URL(`../fixtures/${name}`, import.meta.url).pathname

/** Whether a pid runs: a zombie has finished, it only waits for a parent to reap it. */
const isRunning = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return false
  }
}

const pids = (file: string): Array<number> => readFileSync(file, "utf8").trim().split(/\s+/).map(Number)

const probeFailure = (argv: ReadonlyArray<string>, options?: ProbeOptions) =>
  Effect.gen(function*() {
    return yield* Effect.flip((yield* FeatureProbe).probe(argv, options))
  })

// Live clock: timeouts here are real time, not the TestClock.
layer(Layer.provide(probeLayer, NodeServices.layer), { excludeTestServices: true })("FeatureProbe", (it) => {
  it.effect("never runs a bare name from an empty or relative PATH entry, which would be the working directory", () =>
    Effect.gen(function*() {
      const marker = join(dir, "ran-from-cwd")
      script("cwd-runtime", `touch '${marker}'; echo '{}'`)
      const path = process.env.PATH
      const cwd = process.cwd()
      process.env.PATH = `:.:${path ?? ""}`
      process.chdir(dir)
      const error = yield* probeFailure(["cwd-runtime"]).pipe(
        Effect.ensuring(Effect.sync(() => {
          process.env.PATH = path
          process.chdir(cwd)
        }))
      )
      expect(error.message).toBe(
        `Failed to run [cwd-runtime features]: exec: "cwd-runtime": executable file not found in $PATH`
      )
      expect(existsSync(marker)).toBe(false)
    }))

  it.effect("finds a bare name in PATH's absolute entries", () =>
    Effect.gen(function*() {
      script("path-runtime", `echo '{"ociVersionMin":"1.0.0"}'`)
      const path = process.env.PATH
      process.env.PATH = `${dir}:${path ?? ""}`
      const features = yield* Effect.flatMap(FeatureProbe, (probe) => probe.probe(["path-runtime"])).pipe(
        Effect.ensuring(Effect.sync(() => {
          process.env.PATH = path
        }))
      )
      expect(features.ociVersionMin).toBe("1.0.0")
    }))

  it.effect("probes the real runc and decodes its features", () =>
    Effect.gen(function*() {
      // Fails rather than skips when runc is missing: the probe is only
      // trusted against a real runtime.
      const runc = execFileSync("sh", ["-c", "command -v runc"], { encoding: "utf8" }).trim()
      const features = yield* (yield* FeatureProbe).probe([runc])
      expect(features.ociVersionMin).toMatch(/^1\./)
      expect(features.hooks).toContain("createRuntime")
      expect(features.linux?.namespaces).toContain("mount")
      expect(features.annotations?.["org.opencontainers.runc.version"]).toBeTypeOf("string")
    }))

  it.effect("finds a runtime given by bare name on PATH", () =>
    Effect.gen(function*() {
      const features = yield* (yield* FeatureProbe).probe(["runc"])
      expect(features.annotations?.["org.opencontainers.runc.version"]).toBeTypeOf("string")
    }))

  it.effect("passes the argv's arguments before `features`", () =>
    Effect.gen(function*() {
      const echo = script("echo-args", `printf '{"annotations":{"args":"%s"}}' "$*"`)
      const features = yield* (yield* FeatureProbe).probe([echo, "--root", "/run/x y"])
      expect(features.annotations?.["args"]).toBe("--root /run/x y features")
    }))

  it.effect("fails with a spawn error, in Go's words, when the binary path does not exist", () =>
    Effect.gen(function*() {
      const missing = join(dir, "no-such-runtime")
      const error = yield* probeFailure([missing])
      expect(error).toBeInstanceOf(FeatureProbeSpawnError)
      expect(error.argv).toEqual([missing])
      expect(error.message).toBe(`Failed to run [${missing} features]: fork/exec ${missing}: no such file or directory`)
    }))

  it.effect("fails with a spawn error when a bare name is not on PATH", () =>
    Effect.gen(function*() {
      const error = yield* probeFailure(["no-such-runtime-xyz"])
      expect(error).toBeInstanceOf(FeatureProbeSpawnError)
      expect(error.reason).toBe(`exec: "no-such-runtime-xyz": executable file not found in $PATH`)
    }))

  it.effect("fails with a spawn error when the binary is not executable", () =>
    Effect.gen(function*() {
      const plain = join(dir, "not-executable")
      writeFileSync(plain, "{}")
      const error = yield* probeFailure([plain])
      expect(error).toBeInstanceOf(FeatureProbeSpawnError)
      expect(error.reason).toBe(`fork/exec ${plain}: permission denied`)
    }))

  it.effect("fails with a spawn error for an empty argv", () =>
    Effect.gen(function*() {
      const error = yield* probeFailure([])
      expect(error).toBeInstanceOf(FeatureProbeSpawnError)
      expect(error.reason).toBe("no runtime binary given")
    }))

  it.effect("fails with the exit status and stderr when the runtime has no features command (crun 1.8.1)", () =>
    Effect.gen(function*() {
      const crun = script(
        "crun",
        `cat '${fixture("crun-1.8.1-features.stdout")}'; cat '${fixture("crun-1.8.1-features.stderr")}' >&2; exit 1`
      )
      const error = yield* probeFailure([crun])
      if (!(error instanceof FeatureProbeExitError)) throw error
      expect(error.exitCode).toBe(1)
      expect(error.stderr).toBe("unknown command features\nexit=1")
      expect(error.message).toBe(`Failed to run [${crun} features]: "unknown command features\\nexit=1" (exit status 1)`)
    }))

  it.effect("cuts a long stderr short", () =>
    Effect.gen(function*() {
      const chatty = script("chatty", `head -c 100000 /dev/zero | tr '\\0' x >&2; exit 3`)
      const error = yield* probeFailure([chatty])
      if (!(error instanceof FeatureProbeExitError)) throw error
      expect(error.exitCode).toBe(3)
      expect(error.stderr).toBe(`${"x".repeat(4096)}…`)
    }))

  it.effect("fails with the signal when the runtime is killed", () =>
    Effect.gen(function*() {
      const error = yield* probeFailure([script("suicide", "echo dying >&2; kill -KILL $$")])
      if (!(error instanceof FeatureProbeExitError)) throw error
      expect(error.exitCode).toBeNull()
      expect(error.stderr).toBe("dying")
      expect(error.reason).toMatch(/^"dying" \(.*SIGKILL.*\)$/)
    }))

  it.effect("fails with a decode error when the output is not JSON", () =>
    Effect.gen(function*() {
      const liar = script("liar", "echo 'runc version 1.1.5'")
      const error = yield* probeFailure([liar])
      expect(error).toBeInstanceOf(FeatureProbeDecodeError)
      expect(error.message).toMatch(
        new RegExp(`^Failed to unmarshal the output of \\[${liar} features\\] as a JSON: invalid JSON at line 1, column 1: invalid character 'r'`)
      )
    }))

  it.effect("fails with a decode error when the JSON has the wrong shape", () =>
    Effect.gen(function*() {
      const error = yield* probeFailure([script("wrong-shape", `echo '{"hooks":"prestart"}'`)])
      expect(error).toBeInstanceOf(FeatureProbeDecodeError)
      expect(error.reason).toBe(`Expected array | null at ["hooks"]`)
    }))

  it.effect("kills a runtime that outlives the timeout", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "hang.pid")
      const hang = script("hang", `echo $$ > '${pidFile}'; exec sleep 30`)
      const error = yield* probeFailure([hang], { timeout: "300 millis" })
      if (!(error instanceof FeatureProbeTimeout)) throw error
      expect(error.timeoutMillis).toBe(300)
      expect(error.message).toBe(`Failed to run [${hang} features]: timed out after 300ms`)
      const [pid] = pids(pidFile)
      expect(existsSync(`/proc/${pid}`)).toBe(false)
    }))

  it.effect("kills what a timed-out runtime started, too", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "spawner.pid")
      const parent = script("spawner", `sleep 30 & echo $$ $! > '${pidFile}'; wait`)
      const error = yield* probeFailure([parent], { timeout: "300 millis" })
      expect(error).toBeInstanceOf(FeatureProbeTimeout)
      const [shell, child] = pids(pidFile)
      expect(existsSync(`/proc/${shell}`)).toBe(false)
      expect(isRunning(child!)).toBe(false)
    }))

  it.effect("kills an interrupted probe's runtime and what it started before the interruption completes", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "interrupted.pid")
      const parent = script("interrupted", `sleep 30 & echo $$ $! > '${pidFile}.tmp'; mv '${pidFile}.tmp' '${pidFile}'; wait`)
      const fiber = yield* Effect.forkChild((yield* FeatureProbe).probe([parent]))
      while (!existsSync(pidFile)) yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(fiber)
      const [shell, child] = pids(pidFile)
      expect(existsSync(`/proc/${shell}`)).toBe(false)
      expect(isRunning(child!)).toBe(false)
    }))

  it.effect("kills what a runtime left behind when it exits cleanly", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "leaver.pid")
      const leaver = script("leaver", `sleep 30 >/dev/null 2>&1 & echo $! > '${pidFile}'; echo '{}'`)
      const features = yield* (yield* FeatureProbe).probe([leaver])
      expect(features).toEqual({})
      const [child] = pids(pidFile)
      expect(isRunning(child!)).toBe(false)
    }))

  it.effect("fails with a spawn error, not a defect, for an argument that cannot be passed", () =>
    Effect.gen(function*() {
      const error = yield* probeFailure([script("nul", "echo '{}'"), "a\0b"])
      expect(error).toBeInstanceOf(FeatureProbeSpawnError)
      expect(error.reason).toMatch(/null bytes/)
    }))

  it.effect("takes a timeout too long for a timer as no timeout", () =>
    Effect.gen(function*() {
      const slowish = script("slowish", `sleep 0.1; echo '{}'`)
      expect(yield* (yield* FeatureProbe).probe([slowish], { timeout: Duration.infinity })).toEqual({})
      expect(yield* (yield* FeatureProbe).probe([slowish], { timeout: "30 days" })).toEqual({})
    }))

  it.effect("kills a runtime whose output exceeds the bound", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "endless.pid")
      const endless = script("endless", `echo $$ > '${pidFile}'; exec yes '{"hooks":[]}'`)
      const error = yield* probeFailure([endless], { maxOutputBytes: 64 * 1024 })
      if (!(error instanceof FeatureProbeOutputTooLarge)) throw error
      expect(error.limitBytes).toBe(65536)
      expect(error.message).toBe(`Failed to run [${endless} features]: output exceeds 65536 bytes`)
      const [pid] = pids(pidFile)
      expect(existsSync(`/proc/${pid}`)).toBe(false)
    }))

  it.effect("accepts output of exactly the bound", () =>
    Effect.gen(function*() {
      const exact = script("exact", `printf '{}'`)
      const features = yield* (yield* FeatureProbe).probe([exact], { maxOutputBytes: 2 })
      expect(features).toEqual({})
    }))

  it.effect("probeAll runs each distinct argv once, reporting in first-seen order", () =>
    Effect.gen(function*() {
      const log = join(dir, "runs.log")
      const counted = script("counted", `echo "$*" >> '${log}'; echo '{}'`)
      const outcomes = yield* (yield* FeatureProbe).probeAll([
        [counted, "b"],
        [counted, "a"],
        [counted, "b"],
        [counted, "a"],
        [counted, "a b"]
      ])
      expect(outcomes.map((outcome) => outcome.argv)).toEqual([[counted, "b"], [counted, "a"], [counted, "a b"]])
      expect(outcomes.map((outcome) => outcome._tag)).toEqual(["Probed", "Probed", "Probed"])
      expect(readFileSync(log, "utf8").trim().split("\n").sort()).toEqual(["a b features", "a features", "b features"])
    }))

  it.effect("probeAll runs probes at the same time", () =>
    Effect.gen(function*() {
      // Each probe waits (up to 5 s) until all four have started, so all four
      // succeed only if they overlap.
      const barrier = join(dir, "barrier")
      execFileSync("mkdir", [barrier])
      const meet = script(
        "meet",
        `touch '${barrier}'/$1
i=0
while [ $(ls '${barrier}' | wc -l) -lt 4 ]; do
  i=$((i+1)); [ $i -gt 100 ] && exit 1
  sleep 0.05
done
echo '{}'`
      )
      const outcomes = yield* (yield* FeatureProbe).probeAll(["1", "2", "3", "4"].map((n) => [meet, n]))
      expect(outcomes.map((outcome) => outcome._tag)).toEqual(["Probed", "Probed", "Probed", "Probed"])
    }))

  it.effect("probeAll runs no more probes at once than its concurrency", () =>
    Effect.gen(function*() {
      const running = join(dir, "running")
      const seen = join(dir, "seen")
      execFileSync("mkdir", [running, seen])
      const busy = script(
        "busy",
        `touch '${running}'/$1; sleep 0.2; ls '${running}' | wc -l > '${seen}'/$1; rm '${running}'/$1; echo '{}'`
      )
      yield* (yield* FeatureProbe).probeAll(["1", "2", "3", "4", "5", "6"].map((n) => [busy, n]), { concurrency: 2 })
      const counts = readdirSync(seen).map((name) => Number(readFileSync(join(seen, name), "utf8")))
      expect(counts).toHaveLength(6)
      expect(Math.max(...counts)).toBeLessThanOrEqual(2)
    }))

  it.effect("probeAll reports a failed probe as a warning, never failing itself", () =>
    Effect.gen(function*() {
      const missing = join(dir, "gone")
      const good = script("good", `echo '{"ociVersionMin":"1.0.0"}'`)
      const slow = script("slow", "exec sleep 30")
      const outcomes = yield* (yield* FeatureProbe).probeAll([[missing], [good], [slow]], { timeout: "200 millis" })
      expect(outcomes[1]).toEqual({ _tag: "Probed", argv: [good], features: { ociVersionMin: "1.0.0" } })
      const [gone, , timedOut] = outcomes
      if (gone?._tag !== "Failed" || timedOut?._tag !== "Failed") throw new Error("expected failures")
      expect(gone.error).toBeInstanceOf(FeatureProbeSpawnError)
      expect(gone.warning).toEqual(
        new ConfigWarning({
          path: missing,
          message: `Failed to run [${missing} features]: fork/exec ${missing}: no such file or directory`
        })
      )
      expect(timedOut.error).toBeInstanceOf(FeatureProbeTimeout)
      expect(timedOut.warning.message).toBe(`Failed to run [${slow} features]: timed out after 200ms`)
    }))
})
