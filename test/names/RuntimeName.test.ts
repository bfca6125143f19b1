import { describe, expect, it } from "@effect/vitest"
import { isPermissibleContainerdRuntimeName, shimBinaryName, stockRuntimeNames } from "../../src/names/RuntimeName.ts"

describe("shimBinaryName", () => {
  it.each([
    ["io.containerd.runc.v2", "containerd-shim-runc-v2"],
    ["io.containerd.kata.v2", "containerd-shim-kata-v2"],
    ["com.example.sandbox.v1", "containerd-shim-sandbox-v1"],
    ["a.b", "containerd-shim-a-b"]
  ])("maps %s to the binary %s from its last two parts", (name, binary) => {
    expect(shimBinaryName(name)).toBe(binary)
  })

  it("maps a name with empty trailing parts to dashes, as containerd does", () => {
    expect(shimBinaryName("a..")).toBe("containerd-shim--")
  })

  it.each(["runc", "", ".hidden.v1", "."])("has no binary for %j: no dot, or nothing before the first", (name) => {
    expect(shimBinaryName(name)).toBeUndefined()
  })
})

describe("isPermissibleContainerdRuntimeName", () => {
  it.each(["io.containerd.kata.v2", "io.containerd.runsc.v1", "a..", "x.y"])("accepts %j", (name) => {
    expect(isPermissibleContainerdRuntimeName(name)).toBe(true)
  })

  it.each([
    ["/usr/bin/containerd-shim-evil-v1", "an absolute path would run that binary"],
    ["my/custom.runtime.v1", "containerd reads a name with a slash as a path"],
    ["./shim.v1", "a relative path too"],
    ["runc", "no dot: not a containerd runtime name"],
    [".v2", "nothing before the first dot"],
    ["", "empty"]
  ])("refuses %j (%s)", (name) => {
    expect(isPermissibleContainerdRuntimeName(name)).toBe(false)
  })
})

describe("stockRuntimeNames", () => {
  it("are runc and containerd's runc shim", () => {
    expect(stockRuntimeNames).toEqual(["runc", "io.containerd.runc.v2"])
  })
})
