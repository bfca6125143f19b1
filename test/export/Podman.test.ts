/** The Podman target and source: each rule, what is left out or differs, and the containers.conf shape. */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { parse } from "smol-toml"
import { readImportFile } from "../../src/export/ImportFile.ts"
import { exported, findingsOf, imported, tableOf } from "./support.ts"

const migration = {
  "default-runtime": "crun",
  runtimes: {
    crun: { path: "/usr/bin/crun" },
    "runc-debug": { path: "/usr/bin/runc", runtimeArgs: ["--debug"] },
    kata: { runtimeType: "io.containerd.kata.v2" }
  }
}

describe("export --to podman", () => {
  it("lists runc-compatible runtimes in [engine.runtimes] by absolute path, and the default in [engine] runtime", () => {
    const engine = (parse(exported(tableOf(migration), "podman").text) as any).engine
    expect(engine.runtime).toBe("crun")
    expect(engine.runtimes.crun).toEqual(["/usr/bin/crun"])
    expect(engine.runtimes.runc).toEqual(["/usr/bin/runc"])
    expect(engine.runtimes["runc-debug"][0]).toMatch(/^\/data\/runtimes\/runc-debug\./)
  })

  it("the node's cgroup driver and pivot_root are Podman's cgroup_manager and no_pivot_root", () => {
    const engine = (parse(exported(tableOf(migration), "podman").text) as any).engine
    expect([engine.cgroup_manager, engine.no_pivot_root]).toEqual(["cgroupfs", false])
  })

  it("a containerd shim is left out: Podman runs runc-compatible binaries only", () => {
    const result = exported(tableOf(migration), "podman")
    expect((parse(result.text) as any).engine.runtimes.kata).toBeUndefined()
    expect(findingsOf(result.findings)).toEqual([{
      level: "problem",
      path: "runtimes.kata",
      message: "Podman runs runc-compatible binaries only, not the containerd shim io.containerd.kata.v2"
    }])
  })

  it("a default runtime Podman cannot run leaves [engine] runtime unset, and says so", () => {
    const result = exported(tableOf({ ...migration, "default-runtime": "kata" }), "podman")
    expect((parse(result.text) as any).engine.runtime).toBeUndefined()
    expect(findingsOf(result.findings)).toContainEqual({
      level: "problem",
      path: "default-runtime",
      message: "default runtime kata is not exported: no [engine] runtime"
    })
  })

  it("a Root set by hand is left out (Podman keeps runtime state in its run root)", () => {
    const table = tableOf({ runtimes: { rooted: { runtimeType: "io.containerd.runc.v2", options: { BinaryName: "/usr/bin/crun", Root: "/r" } } } })
    expect(findingsOf(exported(table, "podman").findings)).toEqual([
      { level: "problem", path: "runtimes.rooted.options.Root", message: "Podman has no per-runtime setting for the runc shim's Root" }
    ])
  })
})

describe("import --from podman", () => {
  it("each [engine.runtimes] entry is a path runtime; [engine] runtime the default", () => {
    const text = `[engine]\nruntime = "crun"\n[engine.runtimes]\ncrun = ["/usr/bin/crun"]\nrunc = ["/usr/bin/runc"]\n`
    expect(imported("podman", text)).toEqual({ daemonJson: { "default-runtime": "crun", runtimes: { crun: { path: "/usr/bin/crun" } } }, findings: [] })
  })

  it("of several paths the first is taken, with a warning; none is left out", () => {
    const result = imported("podman", `[engine.runtimes]\ncrun = ["/usr/bin/crun", "/usr/local/bin/crun"]\nnone = []\n`)
    expect(result.daemonJson).toEqual({ runtimes: { crun: { path: "/usr/bin/crun" } } })
    expect(findingsOf(result.findings)).toEqual([
      {
        level: "warning",
        path: "engine.runtimes.crun",
        message: "Podman runs the first of these paths that exists; daemon.json takes one: /usr/bin/crun"
      },
      { level: "problem", path: "engine.runtimes.none", message: "no path: Podman cannot run this runtime" }
    ])
  })

  it("a file without [engine] is not a containers.conf", () => {
    expect(Result.getOrThrow(Result.flip(readImportFile("podman", "[crio.runtime]\n", "f.conf"))).message).toBe(
      "f.conf: engine: no such table: not a containers.conf"
    )
  })

  it("a runtime entry that is no list of paths is refused at its path", () => {
    expect(Result.getOrThrow(Result.flip(readImportFile("podman", `[engine.runtimes]\ncrun = "/usr/bin/crun"\n`, "f.conf"))).message).toBe(
      "f.conf: engine.runtimes.crun: expected an array of strings, got a string"
    )
  })
})
