import { describe, expect, it } from "@effect/vitest"
import { ConfigWarning } from "../../src/config/Problem.ts"
import { distinctWarnings } from "../../src/cli/Pipeline.ts"

describe("distinctWarnings", () => {
  it("keeps the first of equal warnings, in order", () => {
    const a = new ConfigWarning({ path: "exec-opts[0]", message: "unknown option: 'x' (ignored)" })
    const b = new ConfigWarning({ path: "runtimes.r", message: "Failed to run [r features]" })
    const aAgain = new ConfigWarning({ path: "exec-opts[0]", message: "unknown option: 'x' (ignored)" })
    expect(distinctWarnings([a, b, aAgain])).toEqual([a, b])
  })

  it("tells path and message apart however they are split", () => {
    const left = new ConfigWarning({ path: "a: b", message: "c" })
    const right = new ConfigWarning({ path: "a", message: "b: c" })
    expect(distinctWarnings([left, right])).toHaveLength(2)
  })
})
