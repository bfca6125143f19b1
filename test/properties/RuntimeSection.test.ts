/**
 * Properties of the whole pure pipeline — daemon.json text → decoded
 * configuration → plan → table → choice — over generated runtime sections:
 * hostile names, paths, arguments and options, valid or not.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Result from "effect/Result"
import { posix } from "node:path"
import { parseDaemonJson } from "../../src/config/DaemonConfig.ts"
import type { HostSnapshot } from "../../src/host/HostFacts.ts"
import type { ConfigSchemaError, ConfigSyntaxError, InvalidRuntimeConfig } from "../../src/config/Errors.ts"
import { planRuntimes, type RuntimePlan } from "../../src/registry/RuntimePlan.ts"
import { chooseRuntime, completePlan } from "../../src/registry/RuntimeTable.ts"

const host: HostSnapshot = { ramdisk: false, cgroupV2: true, systemdBooted: true }

/** Words that tend to break things: shell metacharacters, dashes, dots, NUL, lone surrogates, non-ASCII. */
const nastyWord = fc.oneof(
  fc.constantFrom("", " ", "-", "--", "-r", "$@", "'", "\"", "a b", "\\", "\0", "\ud800", "é", "..", ".", "*", "\n"),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 6 })
)

const runtimeName = fc.oneof(
  fc.constantFrom(
    "crun",
    "runc",
    "io.containerd.runc.v2",
    "io.containerd.kata.v2",
    "-dash",
    "9",
    "10",
    "a/b",
    "UPPER",
    "with space",
    "",
    "__proto__"
  ),
  fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/),
  nastyWord
)

const path = fc.oneof(
  fc.constantFrom("/usr/sbin/runc", "/usr/bin/crun", "runc", "crun", "./runc", "", "/", "/opt/x y/runc", "-runc"),
  nastyWord.map((word) => `/opt/${word}`),
  nastyWord
)

const shim = fc.constantFrom(
  "io.containerd.runc.v2",
  "io.containerd.kata.v2",
  "io.containerd.runsc.v1",
  "io.containerd.runhcs.v1",
  "/opt/shims/containerd-shim-x-v1",
  "runc",
  "bogus",
  ""
)

/** Option values of every JSON shape, numbers as literals that decode exactly or not at all. */
const optionValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.boolean(),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
  fc.double(),
  nastyWord,
  fc.constant(null),
  fc.array(nastyWord, { maxLength: 3 }),
  fc.dictionary(nastyWord, nastyWord, { maxKeys: 2 })
)

const optionKey = fc.oneof(
  fc.constantFrom(
    "BinaryName",
    "Root",
    "SystemdCgroup",
    "NoPivotRoot",
    "IoUid",
    "ShimCgroup",
    "CriuImagePath",
    "ConfigPath",
    "TypeUrl",
    "binary_name",
    "systemdCgroup",
    "Debug",
    "DebugType"
  ),
  nastyWord
)

const runtimeConfig = fc.record(
  {
    path,
    runtimeType: shim,
    runtimeArgs: fc.oneof(fc.array(nastyWord, { maxLength: 4 }), fc.constant(null)),
    options: fc.oneof(fc.dictionary(optionKey, optionValue, { maxKeys: 4 }), fc.constant(null))
  },
  { requiredKeys: [] }
)

const daemonJson = fc.record(
  {
    runtimes: fc.dictionary(runtimeName, runtimeConfig, { maxKeys: 6 }),
    "default-runtime": runtimeName,
    "exec-opts": fc.array(
      fc.constantFrom("native.cgroupdriver=systemd", "native.cgroupdriver=cgroupfs", "native.cgroupdriver=x", "bogus"),
      { maxLength: 2 }
    ),
    "data-root": fc.constantFrom("/var/lib/docker", "/data/docker/", "relative", "/with space"),
    "exec-root": fc.constantFrom("/var/run/docker", "/run/docker")
  },
  { requiredKeys: [] }
)

/** The same JSON document with every object's keys in an order drawn from `seed`. */
const shuffled = (value: unknown, seed: number): unknown => {
  if (Array.isArray(value)) return value.map((element, i) => shuffled(element, seed + i + 1))
  if (typeof value !== "object" || value === null) return value
  let state = seed | 0
  const keys = Object.keys(value)
  for (let i = keys.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) | 0
    const j = (state >>> 8) % (i + 1)
    ;[keys[i], keys[j]] = [keys[j]!, keys[i]!]
  }
  // `defineProperty` keeps a `__proto__` key an own property, as JSON.parse does.
  const copy: Record<string, unknown> = {}
  for (const key of keys) {
    Object.defineProperty(copy, key, {
      value: shuffled((value as Record<string, unknown>)[key], seed + key.length),
      enumerable: true,
      writable: true,
      configurable: true
    })
  }
  return copy
}

/** The plan of a daemon.json text, or every problem found in it. */
const planText = (
  text: string
): Result.Result<RuntimePlan, ConfigSyntaxError | ConfigSchemaError | InvalidRuntimeConfig> => {
  const parsed = parseDaemonJson(text, "daemon.json")
  if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
  return planRuntimes(parsed.success.config, host)
}

/** A value with every object's keys sorted: what the table means, whatever order the file had. */
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical)
  if (typeof value !== "object" || value === null) return value
  const json = JSON.parse(JSON.stringify(value)) as unknown
  if (typeof json !== "object" || json === null || Array.isArray(json)) return json
  return Object.fromEntries(
    Object.keys(json).sort().map((key) => [key, canonical((json as Record<string, unknown>)[key])])
  )
}

const runs = { numRuns: 300 }

describe("the runtime section, over generated daemon.json files", () => {
  it("never dies: every file plans or fails with typed problems", () => {
    fc.assert(
      fc.property(daemonJson, (json) => {
        const result = planText(JSON.stringify(json))
        if (Result.isFailure(result)) {
          expect(["ConfigSyntaxError", "ConfigSchemaError", "InvalidRuntimeConfig"]).toContain(result.failure._tag)
          expect(result.failure.message.length).toBeGreaterThan(0)
        }
      }),
      runs
    )
  })

  it("gives the same table, problems and warnings, in the same order, whatever the order of the keys", () => {
    fc.assert(
      fc.property(daemonJson, fc.integer(), (json, seed) => {
        const original = planText(JSON.stringify(json))
        const reordered = planText(JSON.stringify(shuffled(json, seed)))
        expect(canonical(Result.isSuccess(reordered) ? reordered.success : reordered.failure))
          .toStrictEqual(canonical(Result.isSuccess(original) ? original.success : original.failure))
        if (Result.isSuccess(original) && Result.isSuccess(reordered)) {
          expect(reordered.success.runtimes.map((runtime) => runtime.wrapper?.path))
            .toStrictEqual(original.success.runtimes.map((runtime) => runtime.wrapper?.path))
        }
      }),
      runs
    )
  })

  it("puts every wrapper script directly inside <data-root>/runtimes", () => {
    fc.assert(
      fc.property(daemonJson, (json) => {
        const result = planText(JSON.stringify(json))
        if (Result.isFailure(result)) return
        for (const runtime of result.success.runtimes) {
          if (runtime.wrapper === undefined) continue
          const name = posix.basename(runtime.wrapper.path)
          expect(posix.dirname(runtime.wrapper.path)).toBe(result.success.scriptsDirectory)
          expect(name).not.toMatch(/^\.{1,2}$/)
          expect(posix.normalize(runtime.wrapper.path)).toBe(runtime.wrapper.path)
        }
      }),
      runs
    )
  })

  it("validates exactly when every configured name and the default resolve", () => {
    fc.assert(
      fc.property(daemonJson, (json) => {
        const result = planText(JSON.stringify(json))
        const names = ["", ...Object.keys(json.runtimes ?? {})]
        if (Result.isFailure(result)) return
        const table = completePlan(result.success, () => undefined, [])
        for (const name of names) {
          const choice = chooseRuntime(table, name)
          expect(Result.isSuccess(choice), `resolving ${JSON.stringify(name)}`).toBe(true)
        }
      }),
      runs
    )
  })
})
