/**
 * Runtime names come out in byte (code unit) order everywhere, as Go sorts
 * them, JSON objects keyed by name included: JavaScript would put the
 * integer-like names `9` and `10` first, ascending.
 */
import { describe, expect, it } from "@effect/vitest"
import { lines, runCli, sandbox } from "./harness.ts"

const numbered = { runtimes: { "10": { path: "/usr/sbin/runc" }, "9": { path: "/usr/sbin/runc" }, a: { path: "/usr/sbin/runc" } } }
const byteOrder = ["10", "9", "a", "io.containerd.runc.v2", "runc"]

/** The keys of the `Runtimes` object as they stand in the text (parsing would reorder them). */
const runtimesKeysInText = (text: string) =>
  Array.from(text.matchAll(/^ {4}"((?:[^"\\]|\\.)*)": \{/gm), (match) => JSON.parse(`"${match[1]}"`) as string)

describe.concurrent("runtime names in byte order", () => {
  it("info --json writes the Runtimes keys 10, 9, a in byte order", async () => {
    const box = sandbox()
    const run = await runCli(["info", "--json", ...box.flags(box.config(numbered))])
    expect(run.code).toBe(0)
    expect(runtimesKeysInText(run.stdout)).toEqual(byteOrder)
  })

  it("info lists the table rows 10, 9, a in byte order", async () => {
    const box = sandbox()
    const run = await runCli(["info", ...box.flags(box.config(numbered))])
    expect(run.code).toBe(0)
    const rows = lines(run.stdout).slice(4)
    expect(rows.map((row) => row.split(" ")[0])).toEqual(byteOrder)
  })

  it("validate --json lists the runtimes 10, 9, a in byte order", async () => {
    const box = sandbox()
    const run = await runCli(["validate", "--json", ...box.flags(box.config(numbered))])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).runtimes).toEqual(byteOrder)
  })
})
