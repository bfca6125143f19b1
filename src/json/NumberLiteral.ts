/**
 * JSON numbers as written, their exact values, and whether dockerd can read them.
 *
 * `JSON.parse` rounds every number to a double: `1.0000000000000001` becomes
 * 1, `9007199254740993` becomes 9007199254740992, `1e400` becomes Infinity.
 * A runtime option's number must be judged on what the administrator wrote (is
 * it an integer? is it in range?) and quoted that way in messages, so
 * daemon.json's runtime options keep each number as its literal, in a
 * `JSON.rawJSON` value: a frozen object holding the text, which
 * `JSON.stringify` writes out verbatim, so the options still serialise to the
 * JSON they were read from.
 *
 * A literal may be megabytes long, so nothing here is worse than linear in
 * it: no backtracking regular expression, and no BigInt of more digits than
 * an integer field's bounds have.
 *
 * `JSON.rawJSON` and `JSON.isRawJSON` come from the TC39 "JSON.parse source
 * text access" proposal, which TypeScript's ES2023 library does not declare;
 * hence the declarations below.
 */

/** A `JSON.rawJSON` value: `JSON.stringify` writes `rawJSON` as is. */
export interface RawJson {
  readonly rawJSON: string
}

const Json = JSON as unknown as {
  rawJSON(text: string): RawJson
  isRawJSON(value: unknown): value is RawJson
}

/** Whether a value is a `JSON.rawJSON` value. */
export const isRawJson = (value: unknown): value is RawJson => Json.isRawJSON(value)

/** A number literal kept as written. */
export const keepLiteral = (literal: string): RawJson => Json.rawJSON(literal)

/**
 * A number's exact value, `±digits × 10^exponent`, and its text as written.
 * `digits` has no leading or trailing zeros (it is `""` for zero), so a
 * number is an integer exactly when it is zero or `exponent` is not negative.
 */
export interface ExactNumber {
  readonly text: string
  readonly negative: boolean
  readonly digits: string
  readonly exponent: number
}

/**
 * Exponents are read up to this magnitude and no further: far beyond any
 * text's length, so whether `digits × 10^exponent` is an integer, and how many
 * digits it has, stay exact; and small enough that a double holds every sum.
 */
const exponentLimit = 1e15

/**
 * How Go's `strconv` reads an exponent: digits are taken only while the
 * exponent is below 10000, so `1e123456` reads as `1e12345`. dockerd's
 * verdict on a number follows this reading.
 */
const goExponentLimit = 10000

/** The parts of a number literal both readings are made of. */
interface Literal {
  readonly negative: boolean
  readonly digits: string
  /** Where the decimal point is, before the exponent: the value is `±0.digits × 10^point × 10^exponent`. */
  readonly point: number
  readonly exponent: number
  readonly goExponent: number
}

const digitAt = (text: string, index: number): number => text.charCodeAt(index) - 0x30

const isDigitAt = (text: string, index: number): boolean => {
  const digit = digitAt(text, index)
  return digit >= 0 && digit <= 9
}

/** Splits a valid JSON number literal into its parts, in one pass over it. */
const readLiteral = (text: string): Literal => {
  const negative = text.startsWith("-")
  const integerStart = negative ? 1 : 0
  let end = integerStart
  while (isDigitAt(text, end)) end++
  const integerDigits = end - integerStart
  let mantissa = text.slice(integerStart, end)
  if (text[end] === ".") {
    const fractionStart = ++end
    while (isDigitAt(text, end)) end++
    mantissa += text.slice(fractionStart, end)
  }
  let exponent = 0
  let goExponent = 0
  if (end < text.length) {
    end++
    const sign = text[end] === "-" ? -1 : 1
    if (text[end] === "-" || text[end] === "+") end++
    for (; end < text.length; end++) {
      const digit = digitAt(text, end)
      exponent = Math.min(exponent * 10 + digit, exponentLimit)
      if (goExponent < goExponentLimit) goExponent = goExponent * 10 + digit
    }
    exponent *= sign
    goExponent *= sign
  }
  let first = 0
  while (mantissa[first] === "0") first++
  let last = mantissa.length
  while (last > first && mantissa[last - 1] === "0") last--
  return { negative, digits: mantissa.slice(first, last), point: integerDigits - first, exponent, goExponent }
}

const exactFromText = (text: string): ExactNumber => {
  const { digits, exponent, negative, point } = readLiteral(text)
  return { text, negative, digits, exponent: digits === "" ? 0 : point + exponent - digits.length }
}

/**
 * The exact value of a JSON number: a number literal (`RawJson`), as
 * daemon.json's options hold them, or a finite JavaScript number, as options
 * built in code may. `String` gives a double's shortest round-trip decimal,
 * which is an integer exactly when the double is (the integers either side of
 * a fractional double are doubles, so they would not round-trip to it).
 * Anything else is not a number: `undefined`.
 */
export const exactNumber = (value: unknown): ExactNumber | undefined => {
  if (isRawJson(value)) return exactFromText(value.rawJSON)
  return typeof value === "number" && Number.isFinite(value) ? exactFromText(String(value)) : undefined
}

const digitCount = (integer: bigint): number => (integer < 0n ? -integer : integer).toString().length

/**
 * A number as an integer within `[minimum, maximum]`, exactly: `"fraction"`
 * when it has a fractional part, `"out of range"` when it is an integer
 * outside the range.
 */
export const integerWithin = (
  value: ExactNumber,
  minimum: bigint,
  maximum: bigint
): bigint | "fraction" | "out of range" => {
  const { digits, exponent, negative } = value
  if (digits !== "" && exponent < 0) return "fraction"
  // An integer with more digits than either bound is outside them; only a
  // number that could be within is turned into a (small) BigInt.
  if (digits.length + exponent > Math.max(digitCount(minimum), digitCount(maximum))) return "out of range"
  const integer = digits === "" ? 0n : BigInt(`${negative ? "-" : ""}${digits}${"0".repeat(exponent)}`)
  return integer < minimum || integer > maximum ? "out of range" : integer
}

/** The most significant digits Go's slow path keeps; a non-zero digit past them only breaks ties. */
const goDecimalDigits = 800

/**
 * Whether Go's `strconv.ParseFloat(literal, 64)` fails with a range error, as
 * `encoding/json` does on a number too large for a float64: dockerd then
 * refuses its daemon.json (a number too small becomes 0 and passes).
 *
 * The verdict is Go's, not the exact one, for literals longer than any real
 * file holds: Go reads at most five digits of an exponent (see
 * `goExponentLimit`), and places the decimal point after at most 800 integer
 * digits, so `1` and 2000 zeros, then `e-1500`, reads as 0 and passes. Within
 * that reading Go rounds correctly, as `Number` does, so `Number` decides the
 * rest on the first 800 digits, a `1` standing for any non-zero ones after.
 */
export const overflowsFloat64 = (literal: string): boolean => {
  const { digits, goExponent, point } = readLiteral(literal)
  if (digits === "") return false
  const goPoint = Math.min(point, goDecimalDigits) + goExponent
  // Go's own shortcuts, which `Number` agrees with.
  if (goPoint > 310) return true
  if (goPoint < -330) return false
  const kept = digits.length > goDecimalDigits ? `${digits.slice(0, goDecimalDigits)}1` : digits
  return !Number.isFinite(Number(`0.${kept}e${goPoint}`))
}
