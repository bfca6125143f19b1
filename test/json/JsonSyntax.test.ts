import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import fc from "fast-check"
import { type JsonPath, type JsonSyntaxError, maxDepth, parseJson } from "../../src/json/JsonSyntax.ts"

/** Parses with numbers as JSON.parse reads them. */
const parse = (text: string) => Result.getOrThrow(parseJson(text, Number))

/** The first syntax error in `text`, or `undefined` when it is one JSON value. */
const syntaxError = (text: string): JsonSyntaxError | undefined => {
  const parsed = parseJson(text, Number)
  return Result.isFailure(parsed) ? parsed.failure : undefined
}

describe("parseJson", () => {
  it("builds the value JSON.parse builds", () => {
    const text = ` {"a": [1, -2.5e+3, 0, true, false, null, "x"], "b": {"c": {}}, "d": []} `
    expect(parse(text)).toEqual(JSON.parse(text))
  })

  it("decodes every escape, a surrogate pair and a lone surrogate as JSON.parse does", () => {
    const text = String.raw`["\"\\/\b\f\n\r\t", "\u00e9\uD83D\uDE00", "\ud800", "a\u0041b"]`
    expect(parse(text)).toEqual(JSON.parse(text))
  })

  it("keeps a __proto__ key as an own property, not the prototype", () => {
    const value = parse(`{"__proto__": {"polluted": true}}`) as Record<string, unknown>
    expect([Object.hasOwn(value, "__proto__"), Object.getPrototypeOf(value), ({} as any).polluted]).toEqual([
      true,
      Object.prototype,
      undefined
    ])
  })

  it("hands each number literal, as written, to the reader with the path to it", () => {
    const seen: Array<[string, JsonPath]> = []
    parseJson(`{"a": [1.50, {"b": -0}], "c": 1e400}`, (literal, path) => seen.push([literal, [...path]]))
    expect(seen).toEqual([["1.50", ["a", 0]], ["-0", ["a", 1, "b"]], ["1e400", ["c"]]])
  })

  it("stores what the reader makes of a number", () => {
    expect(parse(`[7]`)).toEqual([7])
    expect(Result.getOrThrow(parseJson(`{"n": 7}`, (literal) => `#${literal}`))).toEqual({ n: "#7" })
  })

  it("fails with the first syntax error, located", () => {
    expect(parseJson("[1,]", Number)).toEqual(
      Result.fail({ line: 1, column: 4, message: "invalid character ']' looking for beginning of value" })
    )
  })

  it("builds what JSON.parse builds for any JSON value", () => {
    fc.assert(fc.property(fc.json(), (text) => {
      expect(parse(text)).toEqual(JSON.parse(text))
    }))
  })

  it("accepts exactly the texts JSON.parse accepts, among texts without repeated keys", () => {
    const jsonish = fc.string({ unit: fc.constantFrom(..."{}[]\":,0123456789-+.eE tfrunlasx\\/u\n") })
    fc.assert(
      fc.property(jsonish, (text) => {
        let accepted = true
        try {
          JSON.parse(text)
        } catch {
          accepted = false
        }
        const error = syntaxError(text)
        if (error === undefined || !error.message.startsWith("duplicate key")) expect(error === undefined).toBe(accepted)
      }),
      { numRuns: 2000 }
    )
  })
})

describe("parseJson: syntax errors", () => {
  it.each([
    "{}",
    " { \"a\" : [ 1, -2.5e+3, 0, true, false, null, \"\\u00e9\\n\\\"\" ], \"b\": {} } \r\n",
    "[]",
    "\"x\"",
    "-0.0E-1"
  ])("accepts valid JSON: %j", (text) => {
    expect(syntaxError(text)).toBeUndefined()
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
    expect(syntaxError(text)).toEqual({ line: 1, column, message })
  })

  it("reports an empty text as the end of the input", () => {
    expect(syntaxError("")).toEqual({ line: 1, column: 1, message: "unexpected end of JSON input" })
  })

  it("reports a text cut inside a string as the end of the input", () => {
    expect(syntaxError("{\"a\": \"b")).toEqual({ line: 1, column: 9, message: "unexpected end of JSON input" })
  })

  it("accepts nesting up to the maximum depth, objects and arrays mixed", () => {
    const half = maxDepth / 2
    const text = "{\"a\":[".repeat(half) + "1" + "]}".repeat(half)
    expect(syntaxError(text)).toBeUndefined()
  })

  it("refuses nesting past the maximum depth, as Go does, at the container that goes too deep", () => {
    const text = "[".repeat(maxDepth + 1) + "]".repeat(maxDepth + 1)
    expect(syntaxError(text)).toEqual({
      line: 1,
      column: maxDepth + 1,
      message: "invalid character '[' exceeded max depth"
    })
  })

  it("refuses a key repeated in one object, at the repeat, saying where the first is", () => {
    expect(syntaxError("{\"a\": 1,\n \"b\": 2,\n \"a\": 3}")).toEqual({
      line: 3,
      column: 2,
      message: "duplicate key \"a\" (first at line 1, column 2)"
    })
  })

  it("compares keys as decoded, so an escaped spelling repeats a plain one", () => {
    expect(syntaxError("{\"path\": 1, \"p\\u0061th\": 2}")?.message).toBe(
      "duplicate key \"path\" (first at line 1, column 2)"
    )
  })

  it("accepts the same key in different objects, nested or side by side", () => {
    expect(syntaxError("{\"a\": {\"a\": 1}, \"b\": [{\"a\": 1}, {\"a\": 2}]}")).toBeUndefined()
  })

  it("scans a hundred thousand open brackets without overflowing the stack", () => {
    expect(syntaxError("[".repeat(100_000))?.message).toBe("invalid character '[' exceeded max depth")
  })
})
