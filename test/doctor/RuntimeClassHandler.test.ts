import { describe, expect, it } from "@effect/vitest"
import { whyNotHandlerName } from "../../src/doctor/RuntimeClassHandler.ts"

describe("whyNotHandlerName", () => {
  it.each(["runc", "kata-qemu", "a", "0", "gvisor2", "a".repeat(63)])("%j is a DNS label", (name) => {
    expect(whyNotHandlerName(name)).toBeUndefined()
  })

  it("a dotted shim name is not", () => {
    expect(whyNotHandlerName("io.containerd.kata.v2")).toBe(`it contains "."`)
  })

  it("upper case is not", () => {
    expect(whyNotHandlerName("Kata")).toBe(`it contains "K"`)
  })

  it("an underscore is not", () => {
    expect(whyNotHandlerName("my_runc")).toBe(`it contains "_"`)
  })

  it.each(["-runc", "runc-"])("%j starts or ends with a dash", (name) => {
    expect(whyNotHandlerName(name)).toBe("it starts or ends with '-'")
  })

  it("64 characters are too many", () => {
    expect(whyNotHandlerName("a".repeat(64))).toBe("it is longer than 63 characters")
  })

  it("the empty name is not", () => {
    expect(whyNotHandlerName("")).toBe("it is empty")
  })
})
