import { describe, expect, it } from "@effect/vitest"
import type { DaemonConfig } from "../../src/config/DaemonConfig.ts"
import type { Features } from "../../src/features/Features.ts"
import { completePlan, type RuntimeTable } from "../../src/registry/RuntimeTable.ts"
import { describeDiff, diffTables, isUnchanged } from "../../src/registry/TableDiff.ts"
import { planOf, systemdHost, withRuntimes } from "./support.ts"

const tableOf = (config: DaemonConfig, features: Features | undefined = undefined): RuntimeTable =>
  completePlan(planOf(config, systemdHost), () => features, [])

const base = withRuntimes({
  crun: { path: "/usr/bin/crun" },
  kata: { runtimeType: "io.containerd.kata.v2" }
})

describe("diffTables", () => {
  it("finds nothing between two tables of the same configuration", () => {
    const diff = diffTables(tableOf(base), tableOf(base))
    expect(isUnchanged(diff)).toBe(true)
    expect(describeDiff(diff)).toBe("no runtime changed")
  })

  it("lists added, removed and changed runtimes by name, in byte order", () => {
    const after = withRuntimes({
      crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] },
      youki: { path: "/usr/bin/youki" },
      "\u{1F600}": { path: "/usr/bin/smiley" },
      "\uE000": { path: "/usr/bin/private" }
    })
    expect(diffTables(tableOf(base), tableOf(after))).toEqual({
      added: ["youki", "\uE000", "\u{1F600}"],
      removed: ["kata"],
      changed: ["crun"]
    })
  })

  it("counts a runtime whose features changed (an upgraded binary) as changed", () => {
    const diff = diffTables(tableOf(base, { ociVersionMax: "1.1.0" }), tableOf(base, { ociVersionMax: "1.2.0" }))
    expect(diff.changed).toEqual(["crun", "io.containerd.runc.v2", "runc"])
  })

  it("reports a new default runtime and cgroup driver", () => {
    const after = withRuntimes(base.runtimes, { defaultRuntime: "crun", execOpts: ["native.cgroupdriver=cgroupfs"] })
    const diff = diffTables(tableOf(base), tableOf(after))
    expect(diff.defaultRuntime).toEqual({ from: "runc", to: "crun" })
    expect(diff.cgroupDriver).toEqual({ from: "systemd", to: "cgroupfs" })
  })

  it("ignores the warnings, which describe the setup rather than the runtimes", () => {
    const warned = { ...tableOf(base), warnings: tableOf(withRuntimes(base.runtimes, { execOpts: ["x=y"] })).warnings }
    expect(isUnchanged(diffTables(tableOf(base), warned))).toBe(true)
  })
})

describe("describeDiff", () => {
  it("says each kind of change in one line", () => {
    expect(describeDiff({
      added: ["youki"],
      removed: ["kata"],
      changed: ["crun"],
      defaultRuntime: { from: "runc", to: "crun" }
    })).toBe("added youki; removed kata; changed crun; default runtime runc → crun")
  })

  it("lists ten names of a kind and counts the others", () => {
    const names = Array.from({ length: 1000 }, (_, i) => `r${String(i).padStart(4, "0")}`)
    expect(describeDiff({ added: names, removed: [], changed: [] })).toBe(
      `added ${names.slice(0, 10).join(", ")} and 990 more`
    )
  })
})
