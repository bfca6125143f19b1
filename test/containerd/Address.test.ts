import { describe, expect, it } from "@effect/vitest"
import { socketPathOf } from "../../src/containerd/Address.ts"

describe("socketPathOf", () => {
  it("strips unix:// from an address", () => {
    expect(socketPathOf("unix:///run/containerd/containerd.sock")).toBe("/run/containerd/containerd.sock")
  })

  it("keeps a bare path as it is, relative or absolute", () => {
    expect(socketPathOf("/run/containerd/containerd.sock")).toBe("/run/containerd/containerd.sock")
    expect(socketPathOf("run/c.sock")).toBe("run/c.sock")
  })

  it("leaves nothing of unix:// alone: no socket named", () => {
    expect(socketPathOf("unix://")).toBe("")
  })

  it("strips the scheme only once, and only at the start", () => {
    expect(socketPathOf("unix://unix://x")).toBe("unix://x")
    expect(socketPathOf("/tmp/unix://x")).toBe("/tmp/unix://x")
  })
})
