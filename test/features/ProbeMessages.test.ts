import { describe, expect, it } from "vitest"
import { excerpt } from "../../src/config/Problem.ts"
import { ProbeError } from "../../src/features/ProbeError.ts"

describe("what probe warnings quote", () => {
  it("cuts a huge argument short, saying how much was left out", () => {
    const huge = "x".repeat(10 * 1024 * 1024)
    const message = new ProbeError({ argv: ["/usr/bin/runc", huge], reason: { _tag: "Spawn", detail: "boom" } }).message
    expect(message.length).toBeLessThan(1000)
    expect(message).toContain(`${"x".repeat(200)}…(${huge.length - 200} more characters)`)
  })

  it("shows at most twenty words of a long command line", () => {
    const argv = ["/usr/bin/runc", ...Array.from({ length: 100 }, (_, i) => `--a${i}`)]
    const message = new ProbeError({ argv, reason: { _tag: "Spawn", detail: "boom" } }).message
    expect(message).toBe(
      `Failed to run [/usr/bin/runc ${argv.slice(1, 19).join(" ")} …(82 more words) features]: boom`
    )
  })

  it("quotes a short text whole", () => {
    expect(excerpt("--root /run/x")).toBe("--root /run/x")
  })
})

describe("ProbeError messages, one per reason, in dockerd's words", () => {
  const argv = ["/usr/bin/crun", "--debug"]
  const message = (reason: ProbeError["reason"]) => new ProbeError({ argv, reason }).message

  it("Spawn says why the runtime could not be started", () => {
    expect(message({ _tag: "Spawn", detail: "fork/exec /usr/bin/crun: permission denied" })).toBe(
      "Failed to run [/usr/bin/crun --debug features]: fork/exec /usr/bin/crun: permission denied"
    )
  })

  it("Exit quotes standard error and the status", () => {
    expect(message({ _tag: "Exit", exitCode: 1, stderr: "unknown command features" })).toBe(
      `Failed to run [/usr/bin/crun --debug features]: "unknown command features" (exit status 1)`
    )
  })

  it("Exit by a signal names it, or says a signal when its name is unknown", () => {
    expect(message({ _tag: "Exit", exitCode: null, signal: "SIGSEGV", stderr: "" })).toMatch(/\(signal: SIGSEGV\)$/)
    expect(message({ _tag: "Exit", exitCode: null, stderr: "" })).toMatch(/\(killed by a signal\)$/)
  })

  it("Decode says the output is not a features document", () => {
    expect(message({ _tag: "Decode", detail: "Expected object" })).toBe(
      "Failed to unmarshal the output of [/usr/bin/crun --debug features] as a JSON: Expected object"
    )
  })

  it("Timeout, OutputTooLarge and Deadline name their bound", () => {
    expect(message({ _tag: "Timeout", timeoutMillis: 10_000 })).toMatch(/: timed out after 10s$/)
    expect(message({ _tag: "OutputTooLarge", limitBytes: 1_048_576 })).toMatch(/: output exceeds 1048576 bytes$/)
    expect(message({ _tag: "Deadline", deadlineMillis: 20_000 })).toMatch(
      /: not finished by the setup's deadline of 20s$/
    )
  })
})
