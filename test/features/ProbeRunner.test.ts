import * as NodeServices from "@effect/platform-node/NodeServices"
import { afterAll, expect, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { existsSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { ProbeError } from "../../src/features/ProbeError.ts"
import * as ProbeRunner from "../../src/features/ProbeRunner.ts"
import { fixture, isRunning, pids, scratchDirectory, script } from "./processes.ts"

const dir = scratchDirectory("probe-runner-")
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Run {
  readonly argv: ReadonlyArray<string>
  readonly timeout?: Duration.Input
  readonly maxOutputBytes?: number
}

const request = ({ argv, maxOutputBytes = 1024 * 1024, timeout = "10 seconds" }: Run): ProbeRunner.ProbeRequest => ({
  argv,
  program: argv[0]!,
  timeout: Duration.fromInputUnsafe(timeout),
  maxOutputBytes
})

const run = (options: Run) => Effect.flatMap(ProbeRunner.ProbeRunner, (runner) => runner.run(request(options)))

const failure = (options: Run): Effect.Effect<ProbeError, string, ProbeRunner.ProbeRunner> => Effect.flip(run(options))

// Live clock: timeouts here are real time, not the TestClock.
layer(Layer.provide(ProbeRunner.layer, NodeServices.layer), { excludeTestServices: true })("ProbeRunner", (it) => {
  it.effect("returns the standard output of a runtime that exits with status 0", () =>
    Effect.gen(function*() {
      expect(yield* run({ argv: [script(dir, "ok", `echo '{"ociVersionMin":"1.0.0"}'`)] })).toBe(
        `{"ociVersionMin":"1.0.0"}\n`
      )
    }))

  it.effect("passes the argv's arguments before `features`", () =>
    Effect.gen(function*() {
      const echo = script(dir, "echo-args", `printf '%s|' "$@"`)
      expect(yield* run({ argv: [echo, "--root", "/run/x y"] })).toBe("--root|/run/x y|features|")
    }))

  it.effect("fails with reason Spawn, in Go's words, when the binary does not exist", () =>
    Effect.gen(function*() {
      const missing = join(dir, "no-such-runtime")
      const error = yield* failure({ argv: [missing] })
      expect(error.reason).toEqual({ _tag: "Spawn", detail: `fork/exec ${missing}: no such file or directory` })
      expect(error.message).toBe(`Failed to run [${missing} features]: fork/exec ${missing}: no such file or directory`)
    }))

  it.effect("fails with reason Spawn when the binary is not executable", () =>
    Effect.gen(function*() {
      const plain = join(dir, "not-executable")
      writeFileSync(plain, "{}")
      expect((yield* failure({ argv: [plain] })).reason).toEqual({
        _tag: "Spawn",
        detail: `fork/exec ${plain}: permission denied`
      })
    }))

  it.effect("fails with reason Spawn, not a defect, for an argument with a NUL", () =>
    Effect.gen(function*() {
      const error = yield* failure({ argv: [script(dir, "nul", "echo '{}'"), "a\0b"] })
      expect(error.reason).toEqual({ _tag: "Spawn", detail: "Argument 1 contains a NUL character" })
    }))

  it.effect("fails with reason Spawn, not a defect, for an argument longer than the kernel takes", () =>
    Effect.gen(function*() {
      const huge = "x".repeat(200 * 1024)
      const error = yield* failure({ argv: [script(dir, "e2big", "echo '{}'"), huge] })
      expect(error.reason).toEqual({ _tag: "Spawn", detail: `fork/exec ${join(dir, "e2big")}: argument list too long` })
    }))

  it.effect("fails with reason Exit, the status and stderr, when the runtime has no features command (crun 1.8.1)", () =>
    Effect.gen(function*() {
      const crun = script(
        dir,
        "crun",
        `cat '${fixture("crun-1.8.1-features.stdout")}'; cat '${fixture("crun-1.8.1-features.stderr")}' >&2; exit 1`
      )
      const error = yield* failure({ argv: [crun] })
      expect(error.reason).toEqual({ _tag: "Exit", exitCode: 1, stderr: "unknown command features\nexit=1" })
      expect(error.message).toBe(`Failed to run [${crun} features]: "unknown command features\\nexit=1" (exit status 1)`)
    }))

  it.effect("cuts a long stderr short", () =>
    Effect.gen(function*() {
      const chatty = script(dir, "chatty", `head -c 100000 /dev/zero | tr '\\0' x >&2; exit 3`)
      expect((yield* failure({ argv: [chatty] })).reason).toEqual({
        _tag: "Exit",
        exitCode: 3,
        stderr: `${"x".repeat(4096)}…`
      })
    }))

  it.effect("fails with reason Exit naming the signal when the runtime dies by one", () =>
    Effect.gen(function*() {
      const error = yield* failure({ argv: [script(dir, "suicide", "echo dying >&2; kill -KILL $$")] })
      expect(error.reason).toEqual({ _tag: "Exit", exitCode: null, signal: "SIGKILL", stderr: "dying" })
      expect(error.message).toMatch(/: "dying" \(signal: SIGKILL\)$/)
    }))

  it.effect("kills a runtime that outlives the timeout, with reason Timeout", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "hang.pid")
      const hang = script(dir, "hang", `echo $$ > '${pidFile}'; exec sleep 30`)
      const error = yield* failure({ argv: [hang], timeout: "300 millis" })
      expect(error.reason).toEqual({ _tag: "Timeout", timeoutMillis: 300 })
      expect(error.message).toBe(`Failed to run [${hang} features]: timed out after 300ms`)
      expect(isRunning(pids(pidFile)[0]!)).toBe(false)
    }))

  it.effect("kills a runtime that ignores SIGTERM", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "stubborn.pid")
      const stubborn = script(dir, "stubborn", `trap '' TERM; echo $$ > '${pidFile}'; while :; do sleep 1; done`)
      const error = yield* failure({ argv: [stubborn], timeout: "300 millis" })
      expect(error.reason._tag).toBe("Timeout")
      expect(isRunning(pids(pidFile)[0]!)).toBe(false)
    }))

  it.effect("kills what a timed-out runtime started, too", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "spawner.pid")
      const parent = script(dir, "spawner", `sleep 30 & echo $$ $! > '${pidFile}'; wait`)
      expect((yield* failure({ argv: [parent], timeout: "300 millis" })).reason._tag).toBe("Timeout")
      const [shell, child] = pids(pidFile)
      expect(isRunning(shell!)).toBe(false)
      expect(isRunning(child!)).toBe(false)
    }))

  it.effect("kills an interrupted run's runtime and what it started before the interruption completes", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "interrupted.pid")
      const parent = script(
        dir,
        "interrupted",
        `sleep 30 & echo $$ $! > '${pidFile}.tmp'; mv '${pidFile}.tmp' '${pidFile}'; wait`
      )
      const fiber = yield* Effect.forkChild(run({ argv: [parent] }))
      while (!existsSync(pidFile)) yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(fiber)
      const [shell, child] = pids(pidFile)
      expect(isRunning(shell!)).toBe(false)
      expect(isRunning(child!)).toBe(false)
    }))

  it.effect("kills what a runtime left behind when it exits cleanly", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "leaver.pid")
      const leaver = script(dir, "leaver", `sleep 30 >/dev/null 2>&1 & echo $! > '${pidFile}'; echo '{}'`)
      expect(yield* run({ argv: [leaver] })).toBe("{}\n")
      expect(isRunning(pids(pidFile)[0]!)).toBe(false)
    }))

  it.effect("answers as soon as the runtime exits though a grandchild still holds standard output open", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "holder.pid")
      // The grandchild inherits standard output and keeps it open for 30 s:
      // waiting for the end of output would run into the 5 s timeout.
      const holder = script(dir, "holder", `sleep 30 & echo $! > '${pidFile}'; echo '{}'`)
      expect(yield* run({ argv: [holder], timeout: "5 seconds" })).toBe("{}\n")
      expect(isRunning(pids(pidFile)[0]!)).toBe(false)
    }))

  it.effect("kills a runtime printing 100 MB once its output passes the bound, with reason OutputTooLarge", () =>
    Effect.gen(function*() {
      const pidFile = join(dir, "flood.pid")
      const flood = script(dir, "flood", `echo $$ > '${pidFile}'; exec head -c 104857600 /dev/zero`)
      const error = yield* failure({ argv: [flood] })
      expect(error.reason).toEqual({ _tag: "OutputTooLarge", limitBytes: 1024 * 1024 })
      expect(error.message).toBe(`Failed to run [${flood} features]: output exceeds 1048576 bytes`)
      expect(isRunning(pids(pidFile)[0]!)).toBe(false)
    }))

  it.effect("accepts output of exactly the bound", () =>
    Effect.gen(function*() {
      expect(yield* run({ argv: [script(dir, "exact", `printf '{}'`)], maxOutputBytes: 2 })).toBe("{}")
    }))

  it.effect("takes an infinite timeout, or one too long for a timer, as no timeout", () =>
    Effect.gen(function*() {
      const slowish = script(dir, "slowish", `sleep 0.1; echo '{}'`)
      expect(yield* run({ argv: [slowish], timeout: Duration.infinity })).toBe("{}\n")
      expect(yield* run({ argv: [slowish], timeout: "30 days" })).toBe("{}\n")
    }))
})
