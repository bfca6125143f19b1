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

  it("takes the first of several, as dockerd does", () => {
    expect(cgroupDriverOption(["native.cgroupdriver=systemd", "native.cgroupdriver=cgroupfs"])).toBe("systemd")
  })

  it("is undefined for an empty value, which dockerd reads as not set", () => {
    expect(cgroupDriverOption(["native.cgroupdriver= ", "native.cgroupdriver=systemd"])).toBeUndefined()
  })

  it("skips entries that are not key=value", () => {
    expect(cgroupDriverOption(["native.cgroupdriver", "native.cgroupdriver=cgroupfs"])).toBe("cgroupfs")
  })
})

describe("execOptProblems and execOptWarnings", () => {
  it.each(["cgroupfs", "systemd", ""])("accepts the cgroup driver %j", (driver) => {
    expect(report([`native.cgroupdriver=${driver}`])).toEqual({ problems: [], warnings: [] })
  })

  it("checks only the first cgroup driver, as dockerd does, and warns that the others are ignored", () => {
    expect(report(["native.cgroupdriver=systemd", "native.cgroupdriver=bogus"])).toEqual({
      problems: [],
      warnings: [{ path: "exec-opts[1]", message: "native.cgroupdriver is set by exec-opts[0] already (ignored)" }]
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

  it("accepts an empty key as an unknown option, with a warning", () => {
    expect(report([" =systemd"])).toEqual({
      problems: [],
      warnings: [{ path: "exec-opts[0]", message: "unknown option: '' (ignored)" }]
    })
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
        }
      ],
      warnings: [
        { path: "exec-opts[2]", message: "unknown option: 'x' (ignored)" },
        { path: "exec-opts[3]", message: "native.cgroupdriver is set by exec-opts[1] already (ignored)" }
      ]
    })
  })
})
