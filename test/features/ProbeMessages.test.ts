import { describe, expect, it } from "vitest"
import { excerpt } from "../../src/config/Problem.ts"
import { FeatureProbeSpawnError } from "../../src/features/FeatureProbe.ts"

describe("what probe warnings quote", () => {
  it("cuts a huge argument short, saying how much was left out", () => {
    const huge = "x".repeat(10 * 1024 * 1024)
    const message = new FeatureProbeSpawnError({ argv: ["/usr/bin/runc", huge], reason: "boom" }).message
    expect(message.length).toBeLessThan(1000)
    expect(message).toContain(`${"x".repeat(200)}…(${huge.length - 200} more characters)`)
  })

  it("shows at most twenty words of a long command line", () => {
    const argv = ["/usr/bin/runc", ...Array.from({ length: 100 }, (_, i) => `--a${i}`)]
    const message = new FeatureProbeSpawnError({ argv, reason: "boom" }).message
    expect(message).toBe(
      `Failed to run [/usr/bin/runc ${argv.slice(1, 19).join(" ")} …(82 more words) features]: boom`
    )
  })

  it("quotes a short text whole", () => {
    expect(excerpt("--root /run/x")).toBe("--root /run/x")
  })
})
