import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import {
  exactNumber,
  integerWithin,
  isRawJson,
  keepLiteral,
  overflowsFloat64
} from "../../src/json/NumberLiteral.ts"

const uint32 = (value: unknown) => {
  const number = exactNumber(value)
  return number === undefined ? "not a number" : integerWithin(number, 0n, 4294967295n)
}

/** JSON number literals, from the grammar: sign, integer part, fraction, exponent. */
const numberLiteral = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9][0-9]{0,30}$/)),
    fc.option(fc.stringMatching(/^[0-9]{1,30}$/), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.stringMatching(/^[0-9]{1,4}$/)), {
      nil: undefined
    })
  )
  .map(([negative, integer, fraction, exponent]) =>
    `${negative ? "-" : ""}${integer}${fraction === undefined ? "" : `.${fraction}`}${exponent?.join("") ?? ""}`
  )

/** A literal's exact value as a fraction `numerator / 10^scale`, with BigInt, for literals short enough. */
const referenceValue = (text: string): { numerator: bigint; scale: number } => {
  const [mantissa = "", exponent = "0"] = text.toLowerCase().split("e")
  const [integer = "", fraction = ""] = mantissa.split(".")
  const power = Number(exponent) - fraction.length
  const digits = BigInt(integer + fraction)
  return power >= 0 ? { numerator: digits * 10n ** BigInt(power), scale: 0 } : { numerator: digits, scale: -power }
}

describe("keepLiteral", () => {
  it("makes a JSON.rawJSON value holding the literal", () => {
    const kept = keepLiteral("1.50")
    expect(isRawJson(kept) && kept.rawJSON).toBe("1.50")
  })

  it("is written out by JSON.stringify exactly as it was written", () => {
    expect(JSON.stringify({ a: [keepLiteral("1e400"), keepLiteral("-0")] })).toBe(`{"a":[1e400,-0]}`)
  })
})

describe("exact values of literals", () => {
  it("keeps the literal's text for messages", () => {
    expect(exactNumber(keepLiteral("1.0e+2"))?.text).toBe("1.0e+2")
  })

  it("reads a fraction of zeros as an integer", () => {
    expect(uint32(keepLiteral("7.000"))).toBe(7n)
  })

  it("reads a negative exponent that leaves no fraction as an integer", () => {
    expect(uint32(keepLiteral("1500e-2"))).toBe(15n)
  })

  it("reads zero with any exponent, and negative zero, as 0", () => {
    expect([uint32(keepLiteral("0e-7")), uint32(keepLiteral("-0.0")), uint32(keepLiteral("0e999999999999"))]).toEqual([0n, 0n, 0n])
  })

  it("finds a fraction beyond double precision", () => {
    expect(uint32(keepLiteral("4294967294.99999999999999999"))).toBe("fraction")
  })

  it("finds a fraction one digit past double precision in 1.0000000000000001", () => {
    expect(uint32(keepLiteral("1.0000000000000001"))).toBe("fraction")
  })

  it("finds an integer just past the range", () => {
    expect(uint32(keepLiteral("4294967296"))).toBe("out of range")
  })

  it("finds the bounds of a signed range exactly", () => {
    const int32 = (text: string) => integerWithin(exactNumber(keepLiteral(text))!, -2147483648n, 2147483647n)
    expect([int32("-2147483648"), int32("2147483647"), int32("-2147483649"), int32("2147483648")]).toEqual([
      -2147483648n,
      2147483647n,
      "out of range",
      "out of range"
    ])
  })

  it("finds a negative integer out of an unsigned range", () => {
    expect(uint32(keepLiteral("-1e0"))).toBe("out of range")
  })

  it("agrees with exact BigInt arithmetic on every short literal", () => {
    fc.assert(
      fc.property(numberLiteral, (text) => {
        const { numerator, scale } = referenceValue(text)
        const isInteger = numerator % 10n ** BigInt(scale) === 0n
        const integer = isInteger ? numerator / 10n ** BigInt(scale) : undefined
        const expected = integer === undefined ? "fraction" : integer > 4294967295n || integer < 0n ? "out of range" : integer
        expect(uint32(keepLiteral(text))).toBe(expected)
      })
    )
  })
})

describe("exact values of plain numbers", () => {
  it("reads an integral double as an integer", () => {
    expect(uint32(4294967295)).toBe(4294967295n)
  })

  it("reads a fractional double as a fraction", () => {
    expect(uint32(0.1)).toBe("fraction")
  })

  it("reads a double beyond 1e21, printed with an exponent, as an integer", () => {
    expect(exactNumber(1e21)).toMatchObject({ digits: "1", exponent: 21 })
  })

  it("does not read NaN or Infinity as a number", () => {
    expect([uint32(Number.NaN), uint32(Number.POSITIVE_INFINITY)]).toEqual(["not a number", "not a number"])
  })

  it("does not read a string as a number", () => {
    expect(uint32("1")).toBe("not a number")
  })
})

describe("exactNumber on long literals", () => {
  it("reads a million trailing zeros as one digit and an exponent", () => {
    expect(exactNumber(keepLiteral(`1${"0".repeat(1_000_000)}`))).toMatchObject({ digits: "1", exponent: 1_000_000 })
  })

  it("keeps the sign and drops leading zeros of the fraction", () => {
    expect(exactNumber(keepLiteral("-0.0250"))).toMatchObject({ negative: true, digits: "25", exponent: -3 })
  })

  it("finds the one in 1.000…0001 after a million zeros", () => {
    expect(uint32(keepLiteral(`1.${"0".repeat(1_000_000)}1`))).toBe("fraction")
  })

  it("reads a million zeros before an exponent that cancels them as an integer", () => {
    expect(uint32(keepLiteral(`7${"0".repeat(1_000_000)}e-1000000`))).toBe(7n)
  })

  it("reads a million leading zeros of a fraction moved by an exponent", () => {
    expect(uint32(keepLiteral(`0.${"0".repeat(1_000_000)}3e1000001`))).toBe(3n)
  })

  it("reads an exponent of a million digits as out of range, or as a fraction when negative", () => {
    const digits = "9".repeat(1_000_000)
    expect([uint32(keepLiteral(`1e${digits}`)), uint32(keepLiteral(`1e-${digits}`))]).toEqual([
      "out of range",
      "fraction"
    ])
  })

  it("reads a long integer as out of range without converting all its digits", () => {
    expect(uint32(keepLiteral("123456789".repeat(100_000)))).toBe("out of range")
  })
})

describe("overflowsFloat64, as Go's strconv.ParseFloat judges it", () => {
  it("refuses a number beyond the largest double, of either sign", () => {
    expect([overflowsFloat64("1e400"), overflowsFloat64("-1e400"), overflowsFloat64("1e309")]).toEqual([true, true, true])
  })

  it("accepts the largest double, and what rounds down to it", () => {
    expect([overflowsFloat64("1.7976931348623157e308"), overflowsFloat64("1.7976931348623158e308")]).toEqual([false, false])
  })

  it("refuses what rounds up past the largest double", () => {
    expect(overflowsFloat64("1.7976931348623159e308")).toBe(true)
  })

  it("decides the halfway point to 2^1024 as Go does, rounding to even, which is up", () => {
    const halfway = (2n ** 1024n - 2n ** 970n).toString()
    expect([overflowsFloat64(halfway), overflowsFloat64(`${halfway.slice(0, -1)}1`)]).toEqual([true, false])
  })

  it("accepts a number too small for a double, which Go reads as 0", () => {
    expect([overflowsFloat64("1e-400"), overflowsFloat64("-1e-99999")]).toEqual([false, false])
  })

  it("accepts zero with any exponent", () => {
    expect(overflowsFloat64("0e999999")).toBe(false)
  })

  it("refuses an integer of 310 digits and accepts one of 308", () => {
    expect([overflowsFloat64(`1${"0".repeat(309)}`), overflowsFloat64(`1${"0".repeat(307)}`)]).toEqual([true, false])
  })

  it("accepts a huge number Go reads otherwise: it takes only five digits of an exponent", () => {
    // Go reads e100000 as e10000, which the 20000 leading zeros bring back below 1.
    expect(overflowsFloat64(`0.${"0".repeat(20_000)}1e100000`)).toBe(false)
  })

  it("accepts a huge number Go reads otherwise: it places the point after at most 800 integer digits", () => {
    // 10^2000 × 10^-1500 is 10^500, which Go reads as 10^(800 - 1500).
    expect(overflowsFloat64(`1${"0".repeat(2000)}e-1500`)).toBe(false)
  })

  it("agrees with Number wherever Go reads a literal exactly", () => {
    fc.assert(
      fc.property(numberLiteral, fc.integer({ min: -400, max: 400 }), (text, shift) => {
        const moved = /[eE]/.test(text) ? text : `${text}e${shift}`
        expect(overflowsFloat64(moved)).toBe(!Number.isFinite(Number(moved)))
      })
    )
  })
})
