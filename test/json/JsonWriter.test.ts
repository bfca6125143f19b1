/**
 * The CLI's JSON text: what `JSON.stringify(value, null, 2)` writes, except
 * that objects keyed by runtime name keep byte order, which a JavaScript
 * object cannot.
 */
import { describe, expect, it } from "@effect/vitest"
import { byteOrdered, formatJson, OrderedMembers } from "../../src/json/JsonWriter.ts"

describe("formatJson", () => {
  it("writes plain data exactly as JSON.stringify with two-space indent does", () => {
    const value = {
      a: 1,
      b: [true, null, undefined, "x\ny", { c: [], d: {} }],
      skipped: undefined,
      nested: { deep: { deeper: [1, [2, [3]]] } },
      "9": "integer-like",
      date: new Date(0)
    }
    expect(formatJson(value)).toBe(JSON.stringify(value, null, 2))
  })

  it("writes OrderedMembers as an object in their order, integer-like keys included", () => {
    const text = formatJson({ Runtimes: new OrderedMembers([["10", { path: "a" }], ["9", {}], ["a", 1]]) })
    expect(text).toBe('{\n  "Runtimes": {\n    "10": {\n      "path": "a"\n    },\n    "9": {},\n    "a": 1\n  }\n}')
  })

  it("byteOrdered sorts a record's keys by code unit", () => {
    expect(byteOrdered({ a: 0, "9": 0, "10": 0, B: 0 }).entries.map(([key]) => key)).toEqual(["10", "9", "B", "a"])
  })
})
