import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { disemvoweledAlphabet, encodeBase32 } from "../../src/wrappers/Base32.ts"

const bytes = (text: string) => new TextEncoder().encode(text)

/** The standard RFC 4648 alphabet, to translate the RFC's own test vectors. */
const rfcAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
const fromRfc = (encoded: string) =>
  Array.from(encoded.replace(/=+$/, ""), (char) => disemvoweledAlphabet[rfcAlphabet.indexOf(char)]).join("")

/** Independent reference: spell out every bit, cut into groups of five. */
const bitByBit = (input: Uint8Array) => {
  const bits = Array.from(input, (byte) => byte.toString(2).padStart(8, "0")).join("")
  let out = ""
  for (let i = 0; i < bits.length; i += 5) {
    out += disemvoweledAlphabet[parseInt(bits.slice(i, i + 5).padEnd(5, "0"), 2)]
  }
  return out
}

describe("encodeBase32", () => {
  it("encodes the empty input as the empty string", () => {
    expect(encodeBase32(new Uint8Array())).toBe("")
  })

  it.each([
    ["f", "MY======"],
    ["fo", "MZXQ===="],
    ["foo", "MZXW6==="],
    ["foob", "MZXW6YQ="],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI======"]
  ])("encodes the RFC 4648 vector %j like the RFC, in the vowel-free alphabet and unpadded", (input, rfc) => {
    expect(encodeBase32(bytes(input))).toBe(fromRfc(rfc))
  })

  it("encodes a SHA-256 digest like an independent bit-by-bit encoder, in 52 characters", () => {
    const digest = createHash("sha256").update("#!/bin/sh\nexec 'runc' \"$@\"\n").digest()
    const encoded = encodeBase32(digest)
    expect(encoded).toBe(bitByBit(digest))
    expect(encoded).toHaveLength(52)
  })

  it("uses every symbol of the alphabet and nothing else", () => {
    const all = Uint8Array.from([0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf, 0x84, 0x65, 0x3a, 0x56, 0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf])
    expect(encodeBase32(all)).toBe(disemvoweledAlphabet)
  })
})
