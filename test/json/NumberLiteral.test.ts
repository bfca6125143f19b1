import { describe, expect, it } from "@effect/vitest"
import { exactNumber, integerWithin, isRawJson, parseKeepingNumberLiterals } from "../../src/json/NumberLiteral.ts"

const uint32 = (value: unknown) => {
  const number = exactNumber(value)
  return number === undefined ? "not a number" : integerWithin(number, 0n, 4294967295n)
}
const literal = (text: string) => parseKeepingNumberLiterals(text)

describe("parseKeepingNumberLiterals", () => {
  it("keeps each number as a JSON.rawJSON value holding its literal", () => {
    const parsed = parseKeepingNumberLiterals(`{"a": [1.50]}`) as { a: Array<unknown> }
    expect(isRawJson(parsed.a[0]) && parsed.a[0].rawJSON).toBe("1.50")
  })

  it("leaves strings, booleans and null alone", () => {
    expect(parseKeepingNumberLiterals(`["1", true, null]`)).toEqual(["1", true, null])
  })
})

describe("exact values of literals", () => {
  it("keeps the literal's text for messages", () => {
    expect(exactNumber(literal("1.0e+2"))?.text).toBe("1.0e+2")
  })

  it("reads a fraction of zeros as an integer", () => {
    expect(uint32(literal("7.000"))).toBe(7n)
  })

  it("reads a negative exponent that leaves no fraction as an integer", () => {
    expect(uint32(literal("1500e-2"))).toBe(15n)
  })

  it("reads zero with any exponent, and negative zero, as 0", () => {
    expect([uint32(literal("0e-7")), uint32(literal("-0.0")), uint32(literal("0e999999999999"))]).toEqual([0n, 0n, 0n])
  })

  it("finds a fraction beyond double precision", () => {
    expect(uint32(literal("4294967294.99999999999999999"))).toBe("fraction")
  })

  it("finds an integer just past the range", () => {
    expect(uint32(literal("4294967296"))).toBe("out of range")
  })

  it("finds a negative integer out of an unsigned range", () => {
    expect(uint32(literal("-1e0"))).toBe("out of range")
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
    expect(exactNumber(1e21)).toMatchObject({ coefficient: 1n, exponent: 21 })
  })

  it("does not read NaN or Infinity as a number", () => {
    expect([uint32(Number.NaN), uint32(Number.POSITIVE_INFINITY)]).toEqual(["not a number", "not a number"])
  })

  it("does not read a string as a number", () => {
    expect(uint32("1")).toBe("not a number")
  })
})

describe("exactNumber on long literals", () => {
  it("reads a million trailing zeros in one pass, as coefficient and exponent", () => {
    const [literal] = parseKeepingNumberLiterals(`[1${"0".repeat(1_000_000)}]`) as Array<unknown>
    expect(exactNumber(literal)).toMatchObject({ coefficient: 1n, exponent: 1_000_000 })
  })

  it("keeps the sign and drops leading zeros of the fraction", () => {
    const [literal] = parseKeepingNumberLiterals("[-0.0250]") as Array<unknown>
    expect(exactNumber(literal)).toMatchObject({ coefficient: -25n, exponent: -3 })
  })
})
