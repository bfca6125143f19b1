import { describe, expect, it } from "@effect/vitest"
import { besideContainerd, shimSearch } from "../../src/doctor/ShimSearch.ts"

describe("shimSearch", () => {
  it("an absolute name is the shim itself", () => {
    expect(shimSearch("/opt/shims/my-shim")).toEqual({ _tag: "Path", path: "/opt/shims/my-shim" })
  })

  it("a dotted name is searched for by its binary name", () => {
    expect(shimSearch("io.containerd.kata.v2")).toEqual({ _tag: "ByName", binary: "containerd-shim-kata-v2" })
  })

  it("a relative path is refused", () => {
    expect(shimSearch("shims/io.containerd.kata.v2")._tag).toBe("Invalid")
  })

  it.each(["kata", ".kata.v2"])("%j has no binary name and is refused", (name) => {
    expect(shimSearch(name)._tag).toBe("Invalid")
  })
})

describe("besideContainerd", () => {
  it("is the binary in the directory of containerd's executable", () => {
    expect(besideContainerd("/usr/local/bin/containerd", "containerd-shim-kata-v2")).toBe(
      "/usr/local/bin/containerd-shim-kata-v2"
    )
  })
})
