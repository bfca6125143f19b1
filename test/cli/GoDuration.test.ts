import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import { parseGoDuration, parseTimeout } from "../../src/cli/GoDuration.ts"

const nanos = (text: string) => Result.map(parseGoDuration(text), Duration.toNanosUnsafe)

describe("parseGoDuration", () => {
  it.each([
    ["0", 0n],
    ["500ms", 500_000_000n],
    ["2s", 2_000_000_000n],
    ["1m30s", 90_000_000_000n],
    ["1.5h", 5_400_000_000_000n],
    ["+3ns", 3n],
    ["-1s", -1_000_000_000n],
    [".5s", 500_000_000n],
    ["1.s", 1_000_000_000n],
    ["10us", 10_000n],
    ["10µs", 10_000n],
    ["10μs", 10_000n],
    ["1h2m3s4ms5us6ns", 3_723_004_005_006n],
    ["0.000000001s", 1n],
    ["0.0000000019s", 1n]
  ])("%s", (text, expected) => {
    expect(nanos(text)).toEqual(Result.succeed(expected))
  })

  it.each([
    ["", `invalid duration ""`],
    ["-", `invalid duration "-"`],
    [".s", `invalid duration ".s"`],
    ["5", `missing unit in duration "5"`],
    ["1s5", `missing unit in duration "1s5"`],
    ["5x", `unknown unit "x" in duration "5x"`],
    ["5 s", `unknown unit " s" in duration "5 s"`],
    ["1..5s", `missing unit in duration "1..5s"`],
    ["3000000h", `invalid duration "3000000h"`]
  ])("%j is refused", (text, message) => {
    expect(parseGoDuration(text)).toEqual(Result.fail(message))
  })
})

describe("parseTimeout", () => {
  it("takes positive durations only", () => {
    expect(Result.map(parseTimeout("250ms"), Duration.toMillis)).toEqual(Result.succeed(250))
    expect(parseTimeout("0")).toEqual(Result.fail(`timeout must be greater than zero, got "0"`))
    expect(parseTimeout("-1s")).toEqual(Result.fail(`timeout must be greater than zero, got "-1s"`))
    expect(parseTimeout("nope")).toEqual(Result.fail(`invalid duration "nope"`))
  })
})
