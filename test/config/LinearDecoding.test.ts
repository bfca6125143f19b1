/**
 * Decoding daemon.json takes time linear in its size, whatever it holds, and
 * never dies: each hostile shape is decoded at about 250 KB and at 2 MB, and
 * the larger must not take much more than 8 times as long (a quadratic step
 * would take 64 times). Building a value tree of a million small arrays is
 * itself somewhat worse than linear, from the garbage collector's growing
 * heap — `JSON.parse` takes 12–16 times as long on the deeply nested shape —
 * so the bound is 40. It is a ratio of the fastest of several runs, taken in
 * turns so that a busy moment slows both sizes alike, never a number of
 * milliseconds.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import fc from "fast-check"
import { parseDaemonJson } from "../../src/config/DaemonConfig.ts"
import { generateShimOptions } from "../../src/options/ShimOptions.ts"

/** What a daemon decodes from a daemon.json: the configuration, then each runtime's shim options. */
const decode = (text: string): string => {
  const parsed = parseDaemonJson(text, "daemon.json")
  if (Result.isFailure(parsed)) return parsed.failure._tag
  for (const [name, runtime] of Object.entries(parsed.success.config.runtimes)) {
    if (runtime.runtimeType !== undefined) generateShimOptions(name, runtime.runtimeType, runtime.options ?? {})
  }
  return "decoded"
}

/** Milliseconds to decode `text` once. */
const timed = (text: string): number => {
  const start = performance.now()
  decode(text)
  return performance.now() - start
}

const size = 250_000
const growth = 8
const runs = 5

/** How much longer the shape takes at 8 times the size: the fastest of `runs` each, in turns, after a warm-up. */
const timeRatio = (shape: (n: number) => string): number => {
  decode(shape(1000))
  const [small, large] = [shape(size), shape(size * growth)]
  let [fastestSmall, fastestLarge] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]
  for (let run = 0; run < runs; run++) {
    fastestSmall = Math.min(fastestSmall, timed(small))
    fastestLarge = Math.min(fastestLarge, timed(large))
  }
  return fastestLarge / fastestSmall
}

const inOption = (value: string) =>
  `{"runtimes": {"r": {"runtimeType": "io.containerd.runc.v2", "options": {"IoUid": ${value}}}}}`
const elsewhere = (value: string) => `{"log-opts": {"x": ${value}}, "runtimes": {"r": {"path": ${value}}}}`

const shapes: ReadonlyArray<readonly [string, (n: number) => string]> = [
  ["1.000…0001 in an option", (n) => inOption(`1.${"0".repeat(n)}1`)],
  ["1.000…0001 outside the options", (n) => elsewhere(`1.${"0".repeat(n)}1`)],
  ["zeros before an exponent in an option", (n) => inOption(`1${"0".repeat(n)}e-${n}`)],
  ["leading zeros of a fraction before an exponent in an option", (n) => inOption(`0.${"0".repeat(n)}1e5`)],
  ["an exponent of many digits in an option", (n) => inOption(`1e${"7".repeat(n)}`)],
  ["a long integer in an option", (n) => inOption("123456789".repeat(n / 9))],
  ["a long integer outside the options", (n) => elsewhere("123456789".repeat(n / 9))],
  ["a long integer scaled back by its exponent", (n) => inOption(`${"9".repeat(n)}e-${n - 3}`)],
  ["many numbers in an option", (n) => inOption(`[${"1e2,".repeat(n / 4)}0]`)],
  ["many numbers outside the options", (n) => elsewhere(`[${"1e2,".repeat(n / 4)}0]`)],
  ["a long string", (n) => elsewhere(`"${"a".repeat(n)}"`)],
  ["a string of escapes", (n) => elsewhere(`"${"\\u00e9\\n".repeat(n / 8)}"`)],
  ["a long key", (n) => `{"${"k".repeat(n)}": 1, "runtimes": {}}`],
  ["many keys", (n) => `{"runtimes": {${Array.from({ length: n / 16 }, (_, i) => `"r${i}": {}`).join(",")}}}`],
  ["many option keys", (n) =>
    inOption(`0, ${Array.from({ length: n / 16 }, (_, i) => `"k${i}": true`).join(",")}`)],
  ["deep nesting, many times", (n) => elsewhere(`[${Array.from({ length: n / 1000 }, () => `${"[".repeat(490)}1${"]".repeat(490)}`).join(",")}]`)],
  ["a syntax error at the end", (n) => `{"runtimes": {"r": {"path": "${"a".repeat(n)}"}}`]
]

describe("decoding daemon.json is linear in its size", () => {
  it.each(shapes)("%s", (_, shape) => {
    expect(timeRatio(shape)).toBeLessThan(40)
  })
})

/** Number literals as the JSON grammar allows them, with parts up to 500 digits. */
const numberLiteral = fc
  .tuple(
    fc.constantFrom("", "-"),
    fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9][0-9]{0,500}$/)),
    fc.option(fc.stringMatching(/^[0-9]{1,500}$/), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.stringMatching(/^[0-9]{1,8}$/)), {
      nil: undefined
    })
  )
  .map(([sign, integer, fraction, exponent]) =>
    `${sign}${integer}${fraction === undefined ? "" : `.${fraction}`}${exponent?.join("") ?? ""}`
  )

describe("decoding daemon.json never dies", () => {
  it("decodes any number literal, in an option or elsewhere, to a configuration or a typed error", () => {
    fc.assert(
      fc.property(numberLiteral, (literal) => {
        expect(["decoded", "ConfigSchemaError"]).toContain(decode(inOption(literal)))
        expect(["decoded", "ConfigSchemaError"]).toContain(decode(elsewhere(literal)))
      })
    )
  })

  it("decodes any JSON value as a runtime's options, or as the file, to a result", () => {
    fc.assert(
      fc.property(fc.json(), (json) => {
        expect(["decoded", "ConfigSchemaError"]).toContain(decode(inOption(json)))
        expect(["decoded", "ConfigSchemaError", "ConfigSyntaxError"]).toContain(decode(json))
      })
    )
  })

  it("decodes any JSON-ish text to a result", () => {
    const jsonish = fc.string({ unit: fc.constantFrom(..."{}[]\":,0123456789-+.eE truefalsn\\/u\n"), maxLength: 60 })
    fc.assert(
      fc.property(jsonish, (text) => {
        expect(["decoded", "ConfigSchemaError", "ConfigSyntaxError"]).toContain(decode(`{"runtimes": {"r": ${text}}}`))
        expect(["decoded", "ConfigSchemaError", "ConfigSyntaxError"]).toContain(decode(text))
      }),
      { numRuns: 2000 }
    )
  })
})
