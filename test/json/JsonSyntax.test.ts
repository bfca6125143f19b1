import { describe, expect, it } from "@effect/vitest"
import { findJsonSyntaxError, maxDepth } from "../../src/json/JsonSyntax.ts"

describe("findJsonSyntaxError", () => {
  it.each([
    "{}",
    " { \"a\" : [ 1, -2.5e+3, 0, true, false, null, \"\\u00e9\\n\\\"\" ], \"b\": {} } \r\n",
    "[]",
    "\"x\"",
    "-0.0E-1"
  ])("accepts valid JSON: %j", (text) => {
    expect(findJsonSyntaxError(text)).toBeUndefined()
  })

  it.each<[string, string, number]>([
    ["{,}", "invalid character ',' looking for beginning of object key string", 2],
    ["{\"a\" 1}", "invalid character '1' after object key", 6],
    ["{\"a\":}", "invalid character '}' looking for beginning of value", 6],
    ["[1,]", "invalid character ']' looking for beginning of value", 4],
    ["[1 2]", "invalid character '2' after array element", 4],
    ["{} {}", "invalid character '{' after top-level value", 4],
    ["{\"a\":01}", "invalid character '1' after object key:value pair", 7],
    ["[-x]", "invalid character 'x' in numeric literal", 3],
    ["[1.]", "invalid character ']' after decimal point in numeric literal", 4],
    ["[1e]", "invalid character ']' in exponent of numeric literal", 4],
    ["[nul]", "invalid character ']' in literal null (expecting 'l')", 5],
    ["[\"a\tb\"]", "invalid character '\\t' in string literal", 4],
    ["[\"\\x\"]", "invalid character 'x' in string escape code", 4],
    ["[\"\\u12g4\"]", "invalid character 'g' in \\u hexadecimal character escape", 7],
    ["{'a': 1}", "invalid character '\\'' looking for beginning of object key string", 2],
    ["[\u0001]", "invalid character '\\x01' looking for beginning of value", 2],
    ["[\"é\", 😀]", "invalid character '😀' looking for beginning of value", 7]
  ])("words %j like Go's encoding/json: %s at column %d", (text, message, column) => {
    expect(findJsonSyntaxError(text)).toEqual({ line: 1, column, message })
  })

  it("reports an empty text as the end of the input", () => {
    expect(findJsonSyntaxError("")).toEqual({ line: 1, column: 1, message: "unexpected end of JSON input" })
  })

  it("reports a text cut inside a string as the end of the input", () => {
    expect(findJsonSyntaxError("{\"a\": \"b")).toEqual({ line: 1, column: 9, message: "unexpected end of JSON input" })
  })

  it("accepts nesting up to the maximum depth, objects and arrays mixed", () => {
    const half = maxDepth / 2
    const text = "{\"a\":[".repeat(half) + "1" + "]}".repeat(half)
    expect(findJsonSyntaxError(text)).toBeUndefined()
  })

  it("refuses nesting past the maximum depth, as Go does, at the container that goes too deep", () => {
    const text = "[".repeat(maxDepth + 1) + "]".repeat(maxDepth + 1)
    expect(findJsonSyntaxError(text)).toEqual({
      line: 1,
      column: maxDepth + 1,
      message: "invalid character '[' exceeded max depth"
    })
  })

  it("refuses a key repeated in one object, at the repeat, saying where the first is", () => {
    expect(findJsonSyntaxError("{\"a\": 1,\n \"b\": 2,\n \"a\": 3}")).toEqual({
      line: 3,
      column: 2,
      message: "duplicate key \"a\" (first at line 1, column 2)"
    })
  })

  it("compares keys as decoded, so an escaped spelling repeats a plain one", () => {
    expect(findJsonSyntaxError("{\"path\": 1, \"p\\u0061th\": 2}")?.message).toBe(
      "duplicate key \"path\" (first at line 1, column 2)"
    )
  })

  it("accepts the same key in different objects, nested or side by side", () => {
    expect(findJsonSyntaxError("{\"a\": {\"a\": 1}, \"b\": [{\"a\": 1}, {\"a\": 2}]}")).toBeUndefined()
  })

  it("scans a hundred thousand open brackets without overflowing the stack", () => {
    expect(findJsonSyntaxError("[".repeat(100_000))?.message).toBe("invalid character '[' exceeded max depth")
  })
})
