/**
 * A runtime name starting with `-`: on its own it reads as bundled short
 * flags (`-dash` holds `-h`, which used to print the help and exit 0), so it
 * is a usage error that says to pass the name after `--`, which works.
 */
import { describe, expect, it } from "@effect/vitest"
import { unknownShortFlags } from "../../src/cli/main.ts"
import { runCli, sandbox, stdoutJson } from "./harness.ts"

describe.concurrent("runtime names starting with -", () => {
  it("resolve -dash is a usage error naming -dash and suggesting --", async () => {
    const run = await runCli(["resolve", "-dash", "--json"])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain("-dash")
    expect(run.stderr).toContain("oci-runtimes resolve -- -dash")
  })

  it("resolve -- -dash resolves a runtime named -dash", async () => {
    const box = sandbox()
    const file = box.config({ runtimes: { "-dash": { runtimeType: "io.containerd.dash.v1" } } })
    const run = await runCli(["resolve", "--json", ...box.flags(file), "--", "-dash"])
    expect(run.code).toBe(0)
    expect(stdoutJson(run)).toMatchObject({ runtime: "-dash", shim: "io.containerd.dash.v1" })
  })

  it("a flag bundle holding an unknown letter is a usage error", async () => {
    const run = await runCli(["info", "-hx"])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain("-hx")
  })

  it("-h still prints the help", async () => {
    const run = await runCli(["resolve", "-h"])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("USAGE")
  })
})

describe("unknownShortFlags", () => {
  it("ignores -h, -v, negative numbers, long flags and every word after --", () => {
    expect(unknownShortFlags(["info", "-h", "-v", "-hv", "-3.5", "-", "--json", "--", "-dash", "-c"])).toEqual([])
  })

  it("names every word before -- with a letter no short flag has", () => {
    expect(unknownShortFlags(["resolve", "-dash", "-x=1", "-h", "--", "-y"]).map(({ word }) => word)).toEqual(["-dash", "-x=1"])
  })

  it("names the long flag before a word, whose value it may have been meant as", () => {
    expect(unknownShortFlags(["validate", "--probe-timeout", "-2s"])).toEqual([{ word: "-2s", after: "--probe-timeout" }])
  })
})
