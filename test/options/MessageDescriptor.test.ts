import { describe, expect, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import type { MessageDescriptor } from "../../src/options/MessageDescriptor.ts"
import { RuncOptions, RuncOptionsMessage } from "../../src/options/RuncOptions.ts"
import { RunhcsOptions, RunhcsOptionsMessage } from "../../src/options/RunhcsOptions.ts"
import { RuntimeOptions, RuntimeOptionsMessage } from "../../src/options/RuntimeOptions.ts"

const messages: ReadonlyArray<MessageDescriptor> = [RuncOptionsMessage, RunhcsOptionsMessage, RuntimeOptionsMessage]

// protoc's json_name: drop each `_` and capitalise the letter after it.
const protocJsonName = (protoName: string) =>
  protoName.split("_").map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1))).join("")

// protoc-gen-go's field name: capitalise every `_`-separated part and join them.
const protocGenGoName = (protoName: string) =>
  protoName.split("_").map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("")

describe.each(messages)("$typeUrl", (message) => {
  it("has unique field numbers", () => {
    const numbers = message.fields.map((field) => field.number)
    expect(new Set(numbers).size).toBe(numbers.length)
  })

  it("names each field in JSON as protoc does", () => {
    for (const field of message.fields) expect(field.jsonName).toBe(protocJsonName(field.protoName))
  })

  it("names each field in Go as protoc-gen-go does", () => {
    for (const field of message.fields) expect(field.goName).toBe(protocGenGoName(field.protoName))
  })
})

describe("messageSchema", () => {
  it("accepts a value with every field left out", () => {
    expect(Schema.is(RuncOptions)({})).toBe(true)
  })

  it("holds uint32 fields to integers from 0 to 2^32-1", () => {
    const is = Schema.is(RuncOptions)
    expect(is({ ioUid: 4294967295 })).toBe(true)
    expect(is({ ioUid: -1 })).toBe(false)
    expect(is({ ioUid: 4294967296 })).toBe(false)
    expect(is({ ioUid: 1.5 })).toBe(false)
  })

  it("holds int32 fields to integers from -2^31 to 2^31-1", () => {
    const is = Schema.is(RunhcsOptions)
    expect(is({ vmProcessorCount: -2147483648 })).toBe(true)
    expect(is({ vmProcessorCount: 2147483648 })).toBe(false)
  })

  it("holds enum fields to their value names", () => {
    const is = Schema.is(RunhcsOptions)
    expect(is({ sandboxIsolation: "HYPERVISOR" })).toBe(true)
    expect(is({ sandboxIsolation: 1 })).toBe(false)
  })

  it("holds bytes fields to base64 text", () => {
    const is = Schema.is(RuntimeOptions)
    expect(is({ configBody: "W2FdCg==" })).toBe(true)
    expect(is({ configBody: "[a]" })).toBe(false)
  })

  it("holds map fields to string values", () => {
    const is = Schema.is(RunhcsOptions)
    expect(is({ defaultContainerAnnotations: { a: "b" } })).toBe(true)
    expect(is({ defaultContainerAnnotations: { a: 1 } })).toBe(false)
  })
})
