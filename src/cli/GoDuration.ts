/**
 * Durations written as Go writes them (`500ms`, `2s`, `1m30s`, `1.5h`), the
 * syntax dockerd's own duration flags take, so `--probe-timeout` reads like
 * the flags next to it. Effect's `Duration.Input` strings (`"2 seconds"`) are
 * a different syntax, hence this parser.
 */
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"

/** Nanoseconds per unit; `µs` (micro sign) and `μs` (Greek mu) both mean microseconds, as in Go. */
const unitNanos: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["µs", 1_000n],
  ["μs", 1_000n],
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n]
])

/** Go refuses anything past the largest `int64` number of nanoseconds (about 292 years). */
const maxNanos = 2n ** 63n - 1n

/** One `<number><unit>` term: digits with an optional fraction, then everything up to the next number. */
const term = /^(\d*)(?:\.(\d*))?([^\d.]*)/

/** `digits` as a fraction of `scale`, rounded down as Go does. */
const fractionOf = (digits: string, scale: bigint): bigint =>
  digits === "" ? 0n : (BigInt(digits) * scale) / 10n ** BigInt(digits.length)

/**
 * Parses a Go duration. A leading `-` or `+` is accepted (as Go does), so the
 * caller decides whether negative or zero durations make sense. Errors are
 * worded as Go's `time.ParseDuration` words them.
 */
export const parseGoDuration = (text: string): Result.Result<Duration.Duration, string> => {
  const invalid = Result.fail(`invalid duration ${JSON.stringify(text)}`)
  let rest = text
  let negative = false
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-")
    rest = rest.slice(1)
  }
  if (rest === "0") return Result.succeed(Duration.zero)
  if (rest === "") return invalid
  let total = 0n
  while (rest !== "") {
    const match = term.exec(rest)
    if (match === null) return invalid
    const [whole, integer = "", fraction, unit = ""] = match
    if (integer === "" && (fraction === undefined || fraction === "")) return invalid
    if (unit === "") return Result.fail(`missing unit in duration ${JSON.stringify(text)}`)
    const scale = unitNanos.get(unit)
    if (scale === undefined) {
      return Result.fail(`unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`)
    }
    total += (integer === "" ? 0n : BigInt(integer) * scale) + fractionOf(fraction ?? "", scale)
    if (total > maxNanos) return invalid
    rest = rest.slice(whole.length)
  }
  return Result.succeed(Duration.nanos(negative ? -total : total))
}

/** A timeout: a Go duration greater than zero. */
export const parseTimeout = (text: string): Result.Result<Duration.Duration, string> =>
  Result.flatMap(
    parseGoDuration(text),
    (duration) =>
      Duration.isPositive(duration)
        ? Result.succeed(duration)
        : Result.fail(`timeout must be greater than zero, got ${JSON.stringify(text)}`)
  )
