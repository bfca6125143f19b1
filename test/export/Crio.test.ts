/**
 * The CRI-O target and source: each rule of the mapping, what is left out
 * or differs, and the output against crio.conf(5)'s documented schema
 * (`[crio.runtime]`: `default_runtime`, `cgroup_manager`, `no_pivot`;
 * `[crio.runtime.runtimes.HANDLER]`: `runtime_path`, `runtime_type` "oci"
 * or "vm", `runtime_root`, `runtime_config_path` for vm runtimes only).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { parse } from "smol-toml"
import { readImportFile } from "../../src/export/ImportFile.ts"
import { shimNameOfBinary } from "../../src/export/Crio.ts"
import { exported, findingsOf, imported, systemdHost, tableOf } from "./support.ts"

const runtimesOf = (text: string): any => (parse(text) as any).crio.runtime.runtimes

const migration = {
  "default-runtime": "crun",
  runtimes: {
    crun: { path: "crun" },
    "runc-debug": { path: "/usr/bin/runc", runtimeArgs: ["--debug"] },
    kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } }
  }
}

describe("export --to crio", () => {
  it("a runc-compatible runtime is an oci runtime: its binary found on PATH, dockerd's runc root", () => {
    expect(runtimesOf(exported(tableOf(migration), "crio").text).crun).toEqual({
      runtime_path: "/usr/bin/crun",
      runtime_root: "/exec/runtime-runc",
      runtime_type: "oci"
    })
  })

  it("runtimeArgs become the wrapper script as runtime_path", () => {
    expect(runtimesOf(exported(tableOf(migration), "crio").text)["runc-debug"].runtime_path).toMatch(/^\/data\/runtimes\/runc-debug\./)
  })

  it("a shim runtime is a vm runtime running the shim binary, its ConfigPath the runtime_config_path", () => {
    expect(runtimesOf(exported(tableOf(migration), "crio").text).kata).toEqual({
      runtime_config_path: "/etc/kata/configuration.toml",
      runtime_path: "/usr/bin/containerd-shim-kata-v2",
      runtime_type: "vm"
    })
  })

  it("a binary not on PATH is written as it is, with a warning", () => {
    const result = exported(tableOf({ runtimes: { youki: { path: "youki" } } }), "crio")
    expect(runtimesOf(result.text).youki.runtime_path).toBe("youki")
    expect(findingsOf(result.findings)).toContainEqual({
      level: "warning",
      path: "runtimes.youki.path",
      message: "youki is not on PATH here; CRI-O wants an absolute path, written as youki"
    })
  })

  it("a relative binary path is written as it is, with a warning", () => {
    const result = exported(tableOf({ runtimes: { rel: { path: "bin/runc" } } }), "crio")
    expect(runtimesOf(result.text).rel.runtime_path).toBe("bin/runc")
    expect(findingsOf(result.findings)).toContainEqual({
      level: "warning",
      path: "runtimes.rel.path",
      message: "bin/runc is a relative path; CRI-O wants an absolute one, written as bin/runc"
    })
  })

  it("the default runtime, the node's cgroup driver and pivot_root go in [crio.runtime]", () => {
    const runtime = (parse(exported(tableOf(migration, systemdHost), "crio").text) as any).crio.runtime
    expect({ ...runtime, runtimes: undefined }).toEqual({
      cgroup_manager: "systemd",
      default_runtime: "crun",
      no_pivot: false,
      runtimes: undefined
    })
  })

  it("runc options CRI-O has no field for are left out; a cgroup driver other than the node's is a warning", () => {
    const table = tableOf({
      runtimes: { odd: { runtimeType: "io.containerd.runc.v2", options: { BinaryName: "/opt/odd", IoUid: 5, SystemdCgroup: true, Root: "/r" } } }
    })
    const result = exported(table, "crio")
    expect(runtimesOf(result.text).odd).toEqual({ runtime_path: "/opt/odd", runtime_root: "/r", runtime_type: "oci" })
    expect(findingsOf(result.findings)).toEqual([
      { level: "problem", path: "runtimes.odd.options.IoUid", message: "CRI-O has no per-runtime setting for the runc shim's IoUid" },
      {
        level: "warning",
        path: "runtimes.odd.options.SystemdCgroup",
        message: "CRI-O uses one cgroup manager for every runtime (cgroup_manager = cgroupfs, the node's): this runtime's SystemdCgroup = true does not carry over"
      }
    ])
  })

  it("a shim's TypeUrl and ConfigBody are left out; a Windows shim is left out whole", () => {
    const table = tableOf({
      runtimes: {
        gvisor: { runtimeType: "io.containerd.runsc.v1", options: { TypeUrl: "t", ConfigBody: "x" } },
        win: { runtimeType: "io.containerd.runhcs.v1", options: { Debug: true } }
      }
    })
    const result = exported(table, "crio")
    expect(runtimesOf(result.text).win).toBeUndefined()
    expect(findingsOf(result.findings).filter(({ level }) => level === "problem")).toEqual([
      { level: "problem", path: "runtimes.gvisor.options.TypeUrl", message: "CRI-O has no setting for the shim options' TypeUrl" },
      {
        level: "problem",
        path: "runtimes.gvisor.options.ConfigBody",
        message: "CRI-O passes a shim only a configuration file (runtime_config_path), no ConfigBody"
      },
      { level: "problem", path: "runtimes.win", message: "io.containerd.runhcs.v1 is a Windows shim; CRI-O runs on Linux only" }
    ])
  })

  it("a runc option asking for pivot_root other than the node's is a warning", () => {
    const table = tableOf({ runtimes: { nopivot: { runtimeType: "io.containerd.runc.v2", options: { BinaryName: "/opt/r", NoPivotRoot: true } } } })
    expect(findingsOf(exported(table, "crio").findings)).toEqual([{
      level: "warning",
      path: "runtimes.nopivot.options.NoPivotRoot",
      message: "CRI-O sets pivot_root for every runtime (no_pivot = false, the node's): this runtime's NoPivotRoot = true does not carry over"
    }])
  })

  it("a runtimeType that names no shim binary is left out; a shim not on PATH is written by name, with a warning", () => {
    const table = tableOf({ runtimes: { bad: { runtimeType: "noshim" }, gvisor: { runtimeType: "io.containerd.runsc.v1" } } })
    const result = exported(table, "crio")
    expect(runtimesOf(result.text).bad).toBeUndefined()
    expect(runtimesOf(result.text).gvisor.runtime_path).toBe("containerd-shim-runsc-v1")
    expect(findingsOf(result.findings)).toEqual([
      { level: "problem", path: "runtimes.bad", message: "runtimeType noshim names no shim binary CRI-O could run" },
      {
        level: "warning",
        path: "runtimes.gvisor",
        message: "shim binary containerd-shim-runsc-v1 is not on PATH here; CRI-O wants its absolute path, written as containerd-shim-runsc-v1"
      }
    ])
  })

  it("a default runtime CRI-O cannot run leaves default_runtime unset, and says so", () => {
    const result = exported(tableOf({ "default-runtime": "bad", runtimes: { bad: { runtimeType: "noshim" } } }), "crio")
    expect((parse(result.text) as any).crio.runtime.default_runtime).toBeUndefined()
    expect(findingsOf(result.findings)).toContainEqual({
      level: "problem",
      path: "default-runtime",
      message: "default runtime bad is not exported: no default_runtime"
    })
  })

  it("matches crio.conf(5): documented keys and types only, runtime_config_path on vm runtimes only", () => {
    const document: any = parse(exported(tableOf(migration), "crio").text, { integersAsBigInt: true })
    expect(Object.keys(document)).toEqual(["crio"])
    expect(Object.keys(document.crio)).toEqual(["runtime"])
    const { runtimes, ...runtime } = document.crio.runtime
    expect(typeof runtime.default_runtime).toBe("string")
    expect(["systemd", "cgroupfs"]).toContain(runtime.cgroup_manager)
    expect(typeof runtime.no_pivot).toBe("boolean")
    expect(Object.keys(runtimes)).toContain(runtime.default_runtime)
    for (const entry of Object.values<any>(runtimes)) {
      expect(["oci", "vm"]).toContain(entry.runtime_type)
      for (const [key, value] of Object.entries(entry)) {
        expect(["runtime_path", "runtime_type", "runtime_root", "runtime_config_path"]).toContain(key)
        expect(typeof value).toBe("string")
      }
      if (entry.runtime_config_path !== undefined) expect(entry.runtime_type).toBe("vm")
      expect(entry.runtime_path.startsWith("/")).toBe(true)
    }
  })
})

describe("import --from crio", () => {
  it("a runc whose runtime_path is a link to the runc PATH finds is dockerd's own runc", () => {
    const text = `[crio.runtime.runtimes.runc]\nruntime_path = "/usr/bin/runc"\nruntime_root = "/exec/runtime-runc"\n`
    const linked = (path: string) => path === "/usr/bin/runc" ? "/usr/sbin/runc" : path
    const result = imported("crio", text, { locate: () => "/usr/sbin/runc", sameFile: (left, right) => linked(left) === linked(right) })
    expect(result).toEqual({ daemonJson: { runtimes: {} }, findings: [] })
  })

  it("an oci runtime is a path runtime; an empty runtime_path is the handler looked up on PATH", () => {
    const text = `[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\n[crio.runtime.runtimes.youki]\nruntime_type = "oci"\n`
    expect(imported("crio", text).daemonJson).toEqual({ runtimes: { crun: { path: "/usr/bin/crun" }, youki: { path: "youki" } } })
  })

  it("a vm runtime is a runtimeType runtime named after its shim binary, its config file the ConfigPath", () => {
    const text = `[crio.runtime.runtimes.kata]\nruntime_type = "vm"\nruntime_path = "/usr/bin/containerd-shim-kata-qemu-v2"\nruntime_config_path = "/k.toml"\n`
    expect(imported("crio", text, { locate: (binary) => `/usr/bin/${binary}` }).daemonJson).toEqual({
      runtimes: { kata: { runtimeType: "io.containerd.kata-qemu.v2", options: { ConfigPath: "/k.toml" } } }
    })
  })

  it("a vm runtime's shim binary that PATH would not find there comes back as that path", () => {
    const text = `[crio.runtime.runtimes.foo]\nruntime_type = "vm"\nruntime_path = "/opt/bin/containerd-shim-foo-v1"\n`
    expect(imported("crio", text).daemonJson).toEqual({ runtimes: { foo: { runtimeType: "/opt/bin/containerd-shim-foo-v1" } } })
  })

  it("a cgroup manager other than the node's becomes exec-opts; a no_pivot other than the node's is a warning", () => {
    const result = imported("crio", `[crio.runtime]\ncgroup_manager = "systemd"\nno_pivot = true\n`)
    expect(result.daemonJson).toEqual({ "exec-opts": ["native.cgroupdriver=systemd"], runtimes: {} })
    expect(findingsOf(result.findings)).toEqual([{
      level: "warning",
      path: "crio.runtime.no_pivot",
      message: "daemon.json has no setting for it: dockerd skips pivot_root only when DOCKER_RAMDISK is set (here: not set)"
    }])
  })

  it("the node's own cgroup manager needs no exec-opts", () => {
    expect(imported("crio", `[crio.runtime]\ncgroup_manager = "systemd"\n`, { host: systemdHost }).daemonJson).toEqual({ runtimes: {} })
  })

  it("a runtime_root other than dockerd's, pod runtimes and settings daemon.json lacks are reported", () => {
    const text = [
      "[crio.runtime.runtimes.crun]",
      `runtime_path = "/usr/bin/crun"`,
      `runtime_root = "/run/crun"`,
      `allowed_annotations = ["io.kubernetes.cri-o.Devices"]`,
      "[crio.runtime.runtimes.pods]",
      `runtime_type = "pod"`,
      ""
    ].join("\n")
    expect(findingsOf(imported("crio", text).findings)).toEqual([
      { level: "problem", path: "crio.runtime.runtimes.crun.allowed_annotations", message: "CRI-O's allowed_annotations has no daemon.json equivalent" },
      { level: "problem", path: "crio.runtime.runtimes.pods", message: "runtime_type pod has no dockerd equivalent" },
      {
        level: "warning",
        path: "crio.runtime.runtimes.crun.runtime_root",
        message: "dockerd keeps every runc-compatible runtime's state in /exec/runtime-runc, not /run/crun"
      }
    ])
  })

  it("a vm runtime whose binary is no containerd-shim-NAME-VERSION is left out", () => {
    const result = imported("crio", `[crio.runtime.runtimes.vm]\nruntime_type = "vm"\nruntime_path = "/usr/bin/qemu"\n`)
    expect(result.daemonJson.runtimes).toEqual({})
    expect(findingsOf(result.findings)).toEqual([{
      level: "problem",
      path: "crio.runtime.runtimes.vm",
      message: `runtime_path "/usr/bin/qemu" is not a containerd-shim-NAME-VERSION binary`
    }])
  })

  it("a configuration file on an oci runtime, a state directory on a vm runtime and an unknown cgroup manager are left out", () => {
    const text = [
      "[crio.runtime]",
      `cgroup_manager = "hybrid"`,
      "[crio.runtime.runtimes.crun]",
      `runtime_path = "/usr/bin/crun"`,
      `runtime_config_path = "/c.toml"`,
      "[crio.runtime.runtimes.kata]",
      `runtime_type = "vm"`,
      `runtime_path = "/usr/bin/containerd-shim-kata-v2"`,
      `runtime_root = "/run/kata"`,
      ""
    ].join("\n")
    const result = imported("crio", text)
    expect(result.daemonJson).toEqual({ runtimes: { crun: { path: "/usr/bin/crun" }, kata: { runtimeType: "io.containerd.kata.v2" } } })
    expect(findingsOf(result.findings)).toEqual([
      { level: "problem", path: "crio.runtime.runtimes.crun.runtime_config_path", message: "an oci runtime takes no configuration file" },
      { level: "problem", path: "crio.runtime.runtimes.kata.runtime_root", message: "dockerd has no state directory setting for a shim" },
      { level: "problem", path: "crio.runtime.cgroup_manager", message: "cgroup manager hybrid has no dockerd equivalent" }
    ])
  })

  it("a file without [crio.runtime] is not a CRI-O configuration", () => {
    expect(Result.getOrThrow(Result.flip(readImportFile("crio", "[engine]\n", "f.conf"))).message).toBe(
      "f.conf: crio.runtime: no such table: not a CRI-O configuration"
    )
  })

  it.each([
    ["containerd-shim-kata-v2", "io.containerd.kata.v2"],
    ["/opt/bin/containerd-shim-runsc-v1", "io.containerd.runsc.v1"],
    ["runsc", undefined]
  ])("shim binary %j is runtime %j", (binary, name) => {
    expect(shimNameOfBinary(binary)).toBe(name)
  })
})
