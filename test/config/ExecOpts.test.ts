import { describe, expect, it } from "@effect/vitest"
import { cgroupDriverOption, execOptProblems, execOptWarnings } from "../../src/config/ExecOpts.ts"

const report = (execOpts: ReadonlyArray<string>) => ({
  problems: execOptProblems(execOpts).map(({ message, path }) => ({ path, message })),
  warnings: execOptWarnings(execOpts).map(({ message, path }) => ({ path, message }))
})

describe("cgroupDriverOption", () => {
  it("is undefined when no cgroup driver is set", () => {
    expect(cgroupDriverOption(["foo=bar"])).toBeUndefined()
  })

  it("matches the key in any case and trims both sides", () => {
    expect(cgroupDriverOption([" Native.CgroupDriver = systemd "])).toBe("systemd")
  })

  it("keeps the value's case, which is checked as written", () => {
    expect(cgroupDriverOption(["native.cgroupdriver=Systemd"])).toBe("Systemd")
  })

  it("takes the last of several, as dockerd 28 does", () => {
    expect(cgroupDriverOption(["native.cgroupdriver=cgroupfs", "native.cgroupdriver=systemd"])).toBe("systemd")
  })

  it("skips entries that are not key=value", () => {
    expect(cgroupDriverOption(["native.cgroupdriver", "native.cgroupdriver=cgroupfs"])).toBe("cgroupfs")
  })
})

describe("execOptProblems and execOptWarnings", () => {
  it("accepts cgroupfs and systemd", () => {
    expect(report(["native.cgroupdriver=cgroupfs", "native.cgroupdriver=systemd"])).toEqual({
      problems: [],
      warnings: []
    })
  })

  it("refuses none, which dockerd reserves for itself", () => {
    expect(report(["native.cgroupdriver=none"]).problems).toEqual([
      {
        path: "exec-opts[0]",
        message: "native.cgroupdriver option none is internally used and cannot be specified manually"
      }
    ])
  })

  it("refuses any other cgroup driver", () => {
    expect(report(["native.cgroupdriver=Systemd"]).problems).toEqual([
      { path: "exec-opts[0]", message: "native.cgroupdriver option Systemd not supported" }
    ])
  })

  it("refuses an entry without '='", () => {
    expect(report(["native.cgroupdriver"]).problems).toEqual([
      { path: "exec-opts[0]", message: "unable to parse key/value option: native.cgroupdriver" }
    ])
  })

  it("refuses an entry with an empty key or value", () => {
    expect(report([" =systemd", "native.cgroupdriver= "]).problems).toEqual([
      { path: "exec-opts[0]", message: "unable to parse key/value option:  =systemd" },
      { path: "exec-opts[1]", message: "unable to parse key/value option: native.cgroupdriver= " }
    ])
  })

  it("accepts an unknown key, as dockerd before 28 does on Linux, with a warning", () => {
    expect(report(["foo=bar"])).toEqual({
      problems: [],
      warnings: [{ path: "exec-opts[0]", message: "unknown option: 'foo' (ignored)" }]
    })
  })

  it("warns that isolation is a Windows option", () => {
    expect(report(["Isolation=hyperv"]).warnings).toEqual([
      { path: "exec-opts[0]", message: "option 'isolation' is only supported on windows (ignored)" }
    ])
  })

  it("reports every entry, each at its index", () => {
    expect(report(["bad", "native.cgroupdriver=none", "x=y", "native.cgroupdriver=foo"])).toEqual({
      problems: [
        { path: "exec-opts[0]", message: "unable to parse key/value option: bad" },
        {
          path: "exec-opts[1]",
          message: "native.cgroupdriver option none is internally used and cannot be specified manually"
        },
        { path: "exec-opts[3]", message: "native.cgroupdriver option foo not supported" }
      ],
      warnings: [{ path: "exec-opts[2]", message: "unknown option: 'x' (ignored)" }]
    })
  })
})
