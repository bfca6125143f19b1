/**
 * JSON numbers as written, and their exact values.
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
 * `JSON.rawJSON`, `JSON.isRawJSON` and the reviver's source text come from the
 * TC39 "JSON.parse source text access" proposal, which TypeScript's ES2023
 * library does not declare; hence the declarations below.
 */

/** A `JSON.rawJSON` value: `JSON.stringify` writes `rawJSON` as is. */
export interface RawJson {
  readonly rawJSON: string
}

const Json = JSON as unknown as {
  rawJSON(text: string): RawJson
  isRawJSON(value: unknown): value is RawJson
  parse(
    text: string,
    reviver: (key: string, value: unknown, context: { readonly source?: string } | undefined) => unknown
  ): unknown
}

/** Whether a value is a `JSON.rawJSON` value. */
export const isRawJson = (value: unknown): value is RawJson => Json.isRawJSON(value)

/**
 * `JSON.parse`, with every number kept as its literal (a `RawJson`). Where the
 * runtime does not pass the reviver the source text, numbers stay plain.
 */
export const parseKeepingNumberLiterals = (text: string): unknown =>
  Json.parse(text, (_key, value, context) =>
    typeof value === "number" && context?.source !== undefined ? Json.rawJSON(context.source) : value)

const numberGrammar = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/

/**
 * A number's exact value, `coefficient × 10^exponent`, and its text as
 * written. A non-zero coefficient has no trailing zeros, so the number is an
 * integer exactly when it is zero or the exponent is not negative.
 */
export interface ExactNumber {
  readonly text: string
  readonly coefficient: bigint
  readonly exponent: number
}

const exactFromText = (text: string): ExactNumber | undefined => {
  const match = numberGrammar.exec(text)
  if (match === null) return undefined
  const [, sign = "", integer = "", fraction = "", exponent = "0"] = match
  const digits = (integer + fraction).replace(/^0+/, "")
  if (digits === "") return { text, coefficient: 0n, exponent: 0 }
  // Trailing zeros are cut from the digits before the one BigInt conversion:
  // dividing by 10 once per zero is quadratic in a long literal.
  const significant = digits.replace(/0+$/, "")
  // A double is exact for every exponent that can matter; larger ones only need to stay large (even Infinity).
  const power = Number(exponent) - fraction.length + (digits.length - significant.length)
  return { text, coefficient: BigInt(sign + significant), exponent: power }
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
  const { coefficient, exponent } = value
  if (coefficient !== 0n && exponent < 0) return "fraction"
  // Without computing 10^exponent when the result has more digits than either bound.
  const digits = (coefficient < 0n ? -coefficient : coefficient).toString().length + exponent
  const boundDigits = Math.max(minimum.toString().length, maximum.toString().length)
  if (coefficient !== 0n && digits > boundDigits) return "out of range"
  const integer = coefficient * 10n ** BigInt(exponent)
  return integer < minimum || integer > maximum ? "out of range" : integer
}
