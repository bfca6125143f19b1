import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { Buffer } from "node:buffer"
import { compareBytes } from "../../src/names/ByteOrder.ts"

const sign = (n: number) => Math.sign(n)

describe("compareBytes", () => {
  it("puts a character above U+FFFF after U+E000–U+FFFF, as Go's byte order does and JavaScript's < does not", () => {
    expect(["\u{1F600}", "\uE000", "\uFFFD", "a"].sort(compareBytes)).toEqual(["a", "\uE000", "\uFFFD", "\u{1F600}"])
  })

  it("puts a prefix first", () => {
    expect(["ab", "a", ""].sort(compareBytes)).toEqual(["", "a", "ab"])
  })

  it("agrees with comparing the UTF-8 bytes, for any well-formed strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (left, right) => {
        expect(sign(compareBytes(left, right))).toBe(sign(Buffer.compare(Buffer.from(left), Buffer.from(right))))
      }),
      { numRuns: 2000 }
    )
  })
})
