import { describe, expect, it } from "@effect/vitest"
import { overriddenArgs } from "../../src/doctor/OverriddenFlags.ts"

describe("overriddenArgs", () => {
  it("finds --root with its value as the next argument", () => {
    expect(overriddenArgs(["--root", "/run/x"])).toEqual([{ flag: "root", index: 0, value: "/run/x", span: 2 }])
  })

  it("finds --root=X with its inline value", () => {
    expect(overriddenArgs(["--debug", "--root=/run/x"])).toEqual([{ flag: "root", index: 1, value: "/run/x", span: 1 }])
  })

  it("accepts the single-dash spellings Go's flag parser accepts", () => {
    expect(overriddenArgs(["-root", "/a", "-log=/b"]).map(({ flag, value }) => [flag, value])).toEqual([
      ["root", "/a"],
      ["log", "/b"]
    ])
  })

  it("finds --log and --log-format", () => {
    expect(overriddenArgs(["--log", "/l", "--log-format", "text"]).map(({ flag, index }) => [flag, index])).toEqual([
      ["log", 0],
      ["log-format", 2]
    ])
  })

  it("does not take a flag's value for a flag: --root --log makes --log the root", () => {
    expect(overriddenArgs(["--root", "--log"])).toEqual([{ flag: "root", index: 0, value: "--log", span: 2 }])
  })

  it("a trailing --root has no value of its own", () => {
    expect(overriddenArgs(["--root"])).toEqual([{ flag: "root", index: 0, value: undefined, span: 1 }])
  })

  it("ignores flags the shim never overrides, and names that only start like one", () => {
    expect(overriddenArgs(["--debug", "--systemd-cgroup", "--rootless=true", "---root", "root", "--logfile=x"])).toEqual([])
  })

  it("stops at --", () => {
    expect(overriddenArgs(["--", "--root", "/x"])).toEqual([])
  })
})
