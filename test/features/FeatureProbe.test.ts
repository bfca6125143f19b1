import * as NodeServices from "@effect/platform-node/NodeServices"
import { afterAll, describe, expect, it, layer } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync } from "node:fs"
import { join, relative } from "node:path"
import { argvKey, FeatureProbe, layer as probeLayer } from "../../src/features/FeatureProbe.ts"
import type { Features } from "../../src/features/Features.ts"
import { ProbeError } from "../../src/features/ProbeError.ts"
import * as ScriptedFeatureProbe from "../../src/features/ScriptedFeatureProbe.ts"
import { isRunning, pids, runs, scratchDirectory, script } from "./processes.ts"

const dir = scratchDirectory("feature-probe-")
const bin = join(dir, "bin")
mkdirSync(bin)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A PATH entry relative to the working directory that leads to `dir`: it must never be searched. */
const relativeToCwd = relative(process.cwd(), dir)

/** The real probe, with a PATH of the test's own (never `process.env`). */
const realProbe = probeLayer.pipe(
  Layer.provide(NodeServices.layer),
  Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ PATH: `${bin}::.:${relativeToCwd}:/usr/sbin:/usr/bin:/bin` })))
)

const service = Effect.service(FeatureProbe)
const probeFailure = (argv: ReadonlyArray<string>) => Effect.flip(Effect.flatMap(service, (probe) => probe.probe(argv)))

// Live clock: timeouts here are real time, not the TestClock.
layer(realProbe, { excludeTestServices: true })("FeatureProbe.layer", (it) => {
  it.effect("probes the real runc and decodes its features", () =>
    Effect.gen(function*() {
      const features = yield* (yield* service).probe(["/usr/sbin/runc"])
      expect(features.ociVersionMin).toMatch(/^1\./)
      expect(features.hooks).toContain("createRuntime")
      expect(features.annotations?.["org.opencontainers.runc.version"]).toBeTypeOf("string")
    }))

  it.effect("finds a bare name on PATH from the ConfigProvider", () =>
    Effect.gen(function*() {
      script(bin, "path-runtime", `echo '{"ociVersionMin":"1.0.0"}'`)
      expect((yield* (yield* service).probe(["path-runtime"])).ociVersionMin).toBe("1.0.0")
    }))

  it.effect("never runs a bare name from an empty or relative PATH entry, which would be the working directory", () =>
    Effect.gen(function*() {
      const marker = join(dir, "ran-from-cwd")
      script(dir, "cwd-runtime", `touch '${marker}'; echo '{}'`)
      const error = yield* probeFailure(["cwd-runtime"])
      expect(error.message).toBe(
        `Failed to run [cwd-runtime features]: exec: "cwd-runtime": executable file not found in $PATH`
      )
      expect(existsSync(marker)).toBe(false)
    }))

  it.effect("an effect built before the binary is installed succeeds when run after", () =>
    Effect.gen(function*() {
      const probe = yield* service
      const byName = probe.probe(["late-runtime"])
      const byPath = probe.probe([join(dir, "late-path-runtime")])
      script(bin, "late-runtime", `echo '{"ociVersionMin":"1.0.1"}'`)
      script(dir, "late-path-runtime", `echo '{"ociVersionMin":"1.0.2"}'`)
      expect((yield* byName).ociVersionMin).toBe("1.0.1")
      expect((yield* byPath).ociVersionMin).toBe("1.0.2")
    }))

  it.effect("fails with reason Spawn for an empty argv", () =>
    Effect.gen(function*() {
      expect((yield* probeFailure([])).reason).toEqual({ _tag: "Spawn", detail: "no runtime binary given" })
    }))

  it.effect("fails with reason Decode, where the text stops being JSON, when the output is not JSON", () =>
    Effect.gen(function*() {
      const liar = script(dir, "liar", "echo 'runc version 1.1.5'")
      const error = yield* probeFailure([liar])
      expect(error.reason._tag).toBe("Decode")
      expect(error.message).toBe(
        `Failed to unmarshal the output of [${liar} features] as a JSON: invalid JSON at line 1, column 1: invalid character 'r' looking for beginning of value`
      )
    }))

  it.effect("probeAll runs each distinct argv once, reporting in first-seen order", () =>
    Effect.gen(function*() {
      const log = join(dir, "distinct.log")
      const counted = script(dir, "counted", `echo "$*" >> '${log}'; echo '{}'`)
      const { outcomes, probesRun } = yield* (yield* service).probeAll([
        [counted, "b"],
        [counted, "a"],
        [counted, "b"],
        [counted, "a b"]
      ])
      expect(outcomes.map((outcome) => [outcome._tag, outcome.argv])).toEqual([
        ["Probed", [counted, "b"]],
        ["Probed", [counted, "a"]],
        ["Probed", [counted, "a b"]]
      ])
      expect(probesRun).toBe(3)
      expect(readFileSync(log, "utf8").trim().split("\n").sort()).toEqual(["a b features", "a features", "b features"])
    }))

  it.effect("probeAll runs probes at the same time, no more than its concurrency", () =>
    Effect.gen(function*() {
      const running = join(dir, "running")
      const seen = join(dir, "seen")
      mkdirSync(running)
      mkdirSync(seen)
      const busy = script(
        dir,
        "busy",
        `touch '${running}'/$1; sleep 0.3; ls '${running}' | wc -l > '${seen}'/$1; rm '${running}'/$1; echo '{}'`
      )
      yield* (yield* service).probeAll(["1", "2", "3", "4", "5", "6"].map((n) => [busy, n]), { concurrency: 2 })
      const counts = readdirSync(seen).map((name) => Number(readFileSync(join(seen, name), "utf8")))
      expect(counts).toHaveLength(6)
      expect(Math.max(...counts)).toBe(2)
    }))

  it.effect("probeAll reports failed probes as outcomes carrying the error, never failing itself", () =>
    Effect.gen(function*() {
      const missing = join(dir, "gone")
      const good = script(dir, "good", `echo '{"ociVersionMin":"1.0.0"}'`)
      const slow = script(dir, "slow", "exec sleep 30")
      const { outcomes } = yield* (yield* service).probeAll([[missing], [good], [slow]], { timeout: "200 millis" })
      expect(outcomes[1]).toEqual({ _tag: "Probed", argv: [good], features: { ociVersionMin: "1.0.0" } })
      expect(outcomes[0]).toEqual({
        _tag: "Failed",
        argv: [missing],
        error: new ProbeError({
          argv: [missing],
          reason: { _tag: "Spawn", detail: `fork/exec ${missing}: no such file or directory` }
        })
      })
      expect(outcomes[2]?._tag === "Failed" && outcomes[2].error.reason).toEqual({ _tag: "Timeout", timeoutMillis: 200 })
    }))

  it.effect("32 hung runtimes at a 1 s timeout end within about twice the timeout, none left running", () =>
    Effect.gen(function*() {
      const pidDir = join(dir, "hung-pids")
      mkdirSync(pidDir)
      const hung = script(dir, "hung", `echo $$ > '${pidDir}'/$1; exec sleep 60`)
      const argvs = Array.from({ length: 32 }, (_, i) => [hung, String(i)])
      const started = Date.now()
      const { outcomes } = yield* (yield* service).probeAll(argvs, { timeout: "1 second", concurrency: 4 })
      const elapsed = Date.now() - started
      // One after another, 4 at a time, they would take 8 s; the deadline is 2 s, plus the kills' grace.
      expect(elapsed).toBeLessThan(6000)
      const reasons = outcomes.map((outcome) => outcome._tag === "Failed" ? outcome.error.reason._tag : "Probed")
      expect(new Set(reasons)).toEqual(new Set(["Timeout", "Deadline"]))
      // At most two rounds of 4 start before the deadline; the rest fail at once.
      expect(reasons.filter((reason) => reason === "Deadline").length).toBeGreaterThanOrEqual(24)
      const deadline = outcomes.find((outcome) => outcome._tag === "Failed" && outcome.error.reason._tag === "Deadline")
      expect(deadline?._tag === "Failed" && deadline.error.message).toBe(
        `Failed to run [${hung} ${deadline!.argv[1]} features]: not finished by the setup's deadline of 2s`
      )
      for (const name of readdirSync(pidDir)) expect(isRunning(pids(join(pidDir, name))[0]!)).toBe(false)
    }))
})

describe("the features cache", () => {
  /** A runtime that logs each run; the service is built once per test, as a registry builds it once. */
  const counting = (name: string, body = `echo '{"ociVersionMin":"1.0.0"}'`) => {
    const log = join(dir, `${name}.log`)
    return { path: script(dir, name, `echo run >> '${log}'\n${body}`), log }
  }

  const withProbe = <A, E>(body: (probe: FeatureProbe) => Effect.Effect<A, E>) =>
    Effect.flatMap(service, body).pipe(Effect.provide(realProbe))

  it.live("does not run an unchanged runtime again", () =>
    withProbe((probe) =>
      Effect.gen(function*() {
        const { log, path } = counting("unchanged")
        expect((yield* probe.probeAll([[path], [path, "--debug"]])).probesRun).toBe(2)
        const again = yield* probe.probeAll([[path], [path, "--debug"]])
        expect(again.probesRun).toBe(0)
        expect(again.outcomes.map((outcome) => outcome._tag)).toEqual(["Probed", "Probed"])
        expect(runs(log)).toBe(2)
      })
    ))

  it.live("runs a touched runtime again", () =>
    withProbe((probe) =>
      Effect.gen(function*() {
        const { log, path } = counting("touched")
        yield* probe.probe([path])
        utimesSync(path, new Date(2001, 0, 1), new Date(2001, 0, 1))
        yield* probe.probe([path])
        expect(runs(log)).toBe(2)
      })
    ))

  it.live("runs a replaced runtime again, answering with the new binary's features", () =>
    withProbe((probe) =>
      Effect.gen(function*() {
        const path = script(dir, "replaced", `echo '{"ociVersionMin":"1.0.0"}'`)
        yield* probe.probe([path])
        const next = script(dir, "replaced.next", `echo '{"ociVersionMin":"1.1.0"}'`)
        renameSync(next, path)
        expect((yield* probe.probe([path])).ociVersionMin).toBe("1.1.0")
      })
    ))

  it.live("runs a runtime installed since it was found missing", () =>
    withProbe((probe) =>
      Effect.gen(function*() {
        const path = join(dir, "installed-later")
        expect((yield* Effect.flip(probe.probe([path]))).reason._tag).toBe("Spawn")
        script(dir, "installed-later", `echo '{"ociVersionMin":"1.0.0"}'`)
        expect((yield* probe.probe([path])).ociVersionMin).toBe("1.0.0")
      })
    ))

  it.live("does not share answers across names of one multi-call binary", () =>
    withProbe((probe) =>
      Effect.gen(function*() {
        const { log, path } = counting("multicall")
        const alias = join(dir, "multicall-alias")
        symlinkSync(path, alias)
        expect((yield* probe.probeAll([[path], [alias]])).probesRun).toBe(2)
        expect(runs(log)).toBe(2)
      })
    ))

  it.live("keeps a runtime's own failure (an exit status), so it is not run again", () =>
    withProbe((probe) =>
      Effect.gen(function*() {
        const { log, path } = counting("no-features", "echo 'unknown command features' >&2; exit 1")
        const first = yield* Effect.flip(probe.probe([path]))
        const second = yield* Effect.flip(probe.probe([path]))
        expect(second).toEqual(first)
        expect(runs(log)).toBe(1)
      })
    ))

  it.live("tries a timed-out runtime again", () =>
    withProbe((probe) =>
      Effect.gen(function*() {
        const flag = join(dir, "slow-once.flag")
        // Hangs on its first run only, as a runtime on a loaded host might.
        const { log, path } = counting(
          "slow-once",
          `if [ ! -e '${flag}' ]; then touch '${flag}'; exec sleep 30; fi; echo '{}'`
        )
        const first = yield* Effect.flip(probe.probe([path], { timeout: "300 millis" }))
        expect(first.reason._tag).toBe("Timeout")
        expect(yield* probe.probe([path], { timeout: "300 millis" })).toEqual({})
        expect(runs(log)).toBe(2)
      })
    ))
})

describe("FeatureProbe over a scripted backend", () => {
  const runc = ["/usr/sbin/runc"]
  const features: Features = { ociVersionMin: "1.0.0" }

  it.effect("without binary identities, runs every argv on every call", () => {
    const scripted = ScriptedFeatureProbe.make(new Map([[argvKey(runc), features]]))
    return Effect.gen(function*() {
      const probe = yield* service
      yield* probe.probeAll([runc])
      yield* probe.probeAll([runc])
      expect(scripted.calls(runc)).toBe(2)
    }).pipe(Effect.provide(scripted.layer))
  })

  it.effect("with identities, runs an argv again only when its binary's identity changes", () => {
    let version = "v1"
    const scripted = ScriptedFeatureProbe.make(new Map([[argvKey(runc), features]]), { identify: () => version })
    return Effect.gen(function*() {
      const probe = yield* service
      yield* probe.probeAll([runc])
      expect((yield* probe.probeAll([runc])).probesRun).toBe(0)
      version = "v2"
      expect((yield* probe.probeAll([runc])).probesRun).toBe(1)
      expect(scripted.calls(runc)).toBe(2)
    }).pipe(Effect.provide(scripted.layer))
  })

  it.effect("looks each argv[0] up once however many argvs share it", () => {
    const looked: Array<string> = []
    const scripted = ScriptedFeatureProbe.make(new Map([[argvKey(runc), features]]), {
      identify: (program) => {
        looked.push(program)
        return "same"
      }
    })
    return Effect.gen(function*() {
      yield* (yield* service).probeAll([runc, [...runc, "--debug"], [...runc, "--root", "/x"]])
      expect(looked).toEqual(["/usr/sbin/runc"])
    }).pipe(Effect.provide(scripted.layer))
  })

  it.live("a probe that timed out on its own is reported as timed out, even if killing it outlasts the deadline", () => {
    // Times out as the runner does, then takes 300 ms more to be gone, as a group whose zombies are reaped late.
    const slowToDie = ScriptedFeatureProbe.layerFrom((request) =>
      Effect.sleep(request.timeout).pipe(
        Effect.andThen(Effect.sleep("300 millis")),
        Effect.andThen(Effect.fail(
          new ProbeError({ argv: request.argv, reason: { _tag: "Timeout", timeoutMillis: 100 } })
        ))
      )
    )
    return Effect.gen(function*() {
      const { outcomes } = yield* (yield* service).probeAll([["/slow"]], { timeout: "100 millis", deadline: "200 millis" })
      expect(outcomes.map((outcome) => outcome._tag === "Failed" && outcome.error.reason)).toEqual([
        { _tag: "Timeout", timeoutMillis: 100 }
      ])
    }).pipe(Effect.provide(slowToDie))
  })

  it.live("the deadline option bounds all the probes of a call together", () => {
    const scripted = ScriptedFeatureProbe.layerFrom(() => Effect.never)
    return Effect.gen(function*() {
      const { outcomes } = yield* (yield* service).probeAll([["/a"], ["/b"]], { deadline: "50 millis" })
      expect(outcomes.map((outcome) => outcome._tag === "Failed" && outcome.error.reason)).toEqual([
        { _tag: "Deadline", deadlineMillis: 50 },
        { _tag: "Deadline", deadlineMillis: 50 }
      ])
    }).pipe(Effect.provide(scripted))
  })
})
