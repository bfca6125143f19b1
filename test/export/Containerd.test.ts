/**
 * The containerd targets: each rule of the mapping, the refusals and
 * warnings, and the containerd 2.x layout checked against its documented
 * schema (`version = 3`, the runtimes under
 * `plugins."io.containerd.cri.v1.runtime".containerd.runtimes`).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { parse } from "smol-toml"
import { readImportFile } from "../../src/export/ImportFile.ts"
import { exported, findingsOf, imported, systemdHost, tableOf } from "./support.ts"

const criV2 = (document: any) => document.plugins["io.containerd.grpc.v1.cri"].containerd
const criV3 = (document: any) => document.plugins["io.containerd.cri.v1.runtime"].containerd

const migration = {
  "default-runtime": "crun",
  runtimes: {
    crun: { path: "/usr/bin/crun" },
    "runc-debug": { path: "/usr/bin/runc", runtimeArgs: ["--debug"] },
    kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } }
  }
}

describe("export --to containerd", () => {
  it("a path runtime runs through the runc shim with BinaryName, dockerd's Root and the node's cgroup driver", () => {
    const cri = criV2(parse(exported(tableOf(migration, systemdHost), "containerd").text, { integersAsBigInt: true }))
    expect(cri.runtimes.crun).toEqual({
      runtime_type: "io.containerd.runc.v2",
      options: { BinaryName: "/usr/bin/crun", NoPivotRoot: false, Root: "/exec/runtime-runc", SystemdCgroup: true }
    })
  })

  it("runtimeArgs become the wrapper script as BinaryName", () => {
    const cri = criV2(parse(exported(tableOf(migration), "containerd").text))
    expect(cri.runtimes["runc-debug"].options.BinaryName).toMatch(/^\/data\/runtimes\/runc-debug\.[0-9A-Z-]+$/)
  })

  it("the default runtime becomes default_runtime_name, and the file is version 2", () => {
    const document: any = parse(exported(tableOf(migration), "containerd").text)
    expect(document.version).toBe(2)
    expect(criV2(document).default_runtime_name).toBe("crun")
  })

  it("a shim runtime keeps its runtime_type and options under their Go names", () => {
    const cri = criV2(parse(exported(tableOf(migration), "containerd").text))
    expect(cri.runtimes.kata).toEqual({ runtime_type: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } })
  })

  it("integers stay integers, enums are their numbers and maps are tables", () => {
    const table = tableOf({
      runtimes: {
        ids: { runtimeType: "io.containerd.runc.v2", options: { BinaryName: "crun", IoUid: 1000, IoGid: 1000 } },
        win: {
          runtimeType: "io.containerd.runhcs.v1",
          options: { DebugType: "FILE", VmProcessorCount: 2, DefaultContainerAnnotations: { b: "2", a: "1" } }
        }
      }
    })
    const text = exported(table, "containerd").text
    expect(text).toContain("IoUid = 1000\n")
    const cri = criV2(parse(text, { integersAsBigInt: true }))
    expect(cri.runtimes.ids.options).toEqual({ BinaryName: "crun", IoGid: 1000n, IoUid: 1000n })
    expect(cri.runtimes.win.options).toEqual({ DebugType: 1n, DefaultContainerAnnotations: { a: "1", b: "2" }, VmProcessorCount: 2n })
  })

  it("a shim runtime without options gets no options table (none are sent, as by dockerd)", () => {
    const cri = criV2(parse(exported(tableOf({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }), "containerd").text))
    expect(cri.runtimes.kata).toEqual({ runtime_type: "io.containerd.kata.v2" })
  })

  it("ConfigBody is left out, and options without ConfigPath are a warning", () => {
    const table = tableOf({ runtimes: { gvisor: { runtimeType: "io.containerd.runsc.v1", options: { TypeUrl: "x", ConfigBody: "a = 1" } } } })
    const result = exported(table, "containerd")
    expect(criV2(parse(result.text)).runtimes.gvisor.options).toEqual({ TypeUrl: "x" })
    expect(findingsOf(result.findings)).toEqual([
      {
        level: "problem",
        path: "runtimes.gvisor.options.ConfigBody",
        message: "containerd's CRI plugin has no ConfigBody option: it fills ConfigBody itself, with the options table, when ConfigPath is empty"
      },
      {
        level: "warning",
        path: "runtimes.gvisor.options",
        message: "without a ConfigPath, containerd's CRI plugin sends the shim this options table as TOML in ConfigBody; dockerd sends none"
      }
    ])
  })

  it("a default runtime that names a shim directly is reported: no default_runtime_name", () => {
    const result = exported(tableOf({ "default-runtime": "io.containerd.kata.v2" }), "containerd")
    expect(criV2(parse(result.text)).default_runtime_name).toBeUndefined()
    expect(findingsOf(result.findings)).toEqual([{
      level: "problem",
      path: "default-runtime",
      message: "default runtime io.containerd.kata.v2 is not an exported runtime: no default_runtime_name"
    }])
  })

  it("the stock alias as default is runc", () => {
    expect(criV2(parse(exported(tableOf({ "default-runtime": "io.containerd.runc.v2" }), "containerd").text)).default_runtime_name)
      .toBe("runc")
  })

  it("the same table always gives the same bytes, sorted", () => {
    const text = exported(tableOf(migration), "containerd").text
    expect(exported(tableOf(migration), "containerd").text).toBe(text)
    expect([...text.matchAll(/runtimes\.([a-z-]+)\]/g)].map((match) => match[1])).toEqual(["crun", "kata", "runc", "runc-debug"])
  })
})

describe("export --to containerd-v3, against containerd 2.x's documented layout", () => {
  const document: any = parse(exported(tableOf(migration, systemdHost), "containerd-v3").text, { integersAsBigInt: true })

  it("is version 3 with the runtimes under the io.containerd.cri.v1.runtime plugin", () => {
    expect(document.version).toBe(3n)
    expect(Object.keys(document.plugins)).toEqual(["io.containerd.cri.v1.runtime"])
    expect(Object.keys(criV3(document))).toEqual(["default_runtime_name", "runtimes"])
  })

  it("each runtime has a string runtime_type and an options table of the message's Go names and types", () => {
    for (const runtime of Object.values<any>(criV3(document).runtimes)) {
      expect(typeof runtime.runtime_type).toBe("string")
      expect(Object.keys(runtime).every((key) => key === "runtime_type" || key === "options")).toBe(true)
    }
    expect(criV3(document).runtimes.runc.options).toEqual({
      BinaryName: "runc",
      NoPivotRoot: false,
      Root: "/exec/runtime-runc",
      SystemdCgroup: true
    })
  })

  it("the default runtime is default_runtime_name, a string naming one of the runtimes", () => {
    expect(criV3(document).default_runtime_name).toBe("crun")
    expect(Object.keys(criV3(document).runtimes)).toContain("crun")
  })
})

describe("import --from containerd", () => {
  it("the cgroup driver runc's SystemdCgroup says comes back as exec-opts when it is not the node's", () => {
    const runtimes = { crun: { path: "/usr/bin/crun" } }
    const text = exported(tableOf({ runtimes, "exec-opts": ["native.cgroupdriver=systemd"] }), "containerd").text
    const back = imported("containerd", text)
    expect(back.daemonJson).toEqual({ "exec-opts": ["native.cgroupdriver=systemd"], runtimes })
    expect(back.findings).toEqual([])
  })

  it("what dockerd warns of its own settings (an exec-opt it ignores) is told once, at its own path", () => {
    const text = exported(tableOf({ runtimes: { crun: { path: "/usr/bin/crun" }, youki: { path: "/usr/bin/youki" } } }), "containerd").text
    const result = imported("containerd", text, { base: { "exec-opts": ["foo=bar"] } })
    expect(findingsOf(result.findings).map(({ level, path }) => ({ level, path }))).toEqual([{ level: "warning", path: "exec-opts[0]" }])
  })

  it("on a systemd node, a file whose runc uses cgroupfs comes back with the cgroupfs driver", () => {
    const runtimes = { crun: { path: "/usr/bin/crun" } }
    const text = exported(tableOf({ runtimes }), "containerd").text
    expect(imported("containerd", text, { host: systemdHost }).daemonJson).toEqual({ "exec-opts": ["native.cgroupdriver=cgroupfs"], runtimes })
  })

  const v2 = (runtimes: string, extra = "") =>
    `version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n${extra}\n${runtimes}`
  const runtime = (handler: string, body: string) => `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${handler}]\n${body}\n`

  it("runc shim options exactly dockerd's for a path runtime come back as that path runtime", () => {
    const text = v2(runtime(
      "crun",
      `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "/usr/bin/crun", NoPivotRoot = false, Root = "/exec/runtime-runc", SystemdCgroup = false }`
    ))
    expect(imported("containerd", text)).toEqual({ daemonJson: { runtimes: { crun: { path: "/usr/bin/crun" } } }, findings: [] })
  })

  it("other runc shim options come back as a runtimeType runtime with those options", () => {
    const text = v2(runtime("crun", `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "/usr/bin/crun", SystemdCgroup = true, IoUid = 7 }`))
    expect(imported("containerd", text).daemonJson).toEqual({
      runtimes: { crun: { runtimeType: "io.containerd.runc.v2", options: { BinaryName: "/usr/bin/crun", IoUid: 7, SystemdCgroup: true } } }
    })
  })

  it("a wrapper script of ours comes back as its path and runtimeArgs", () => {
    const script = "#!/bin/sh\nexec '/usr/bin/runc' '--debug' \"$@\"\n"
    const text = v2(runtime(
      "runc-debug",
      `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "/data/runtimes/runc-debug.X", NoPivotRoot = false, Root = "/exec/runtime-runc", SystemdCgroup = false }`
    ))
    expect(imported("containerd", text, { scripts: new Map([["/data/runtimes/runc-debug.X", script]]) }).daemonJson).toEqual({
      runtimes: { "runc-debug": { path: "/usr/bin/runc", runtimeArgs: ["--debug"] } }
    })
  })

  it("a wrapper script named by a path spelled otherwise (//, /./) is read back too", () => {
    const script = "#!/bin/sh\nexec '/usr/bin/runc' '--debug' \"$@\"\n"
    const text = v2(runtime(
      "runc-debug",
      `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "/data/./runtimes//runc-debug.X", NoPivotRoot = false, Root = "/exec/runtime-runc", SystemdCgroup = false }`
    ))
    expect(imported("containerd", text, { scripts: new Map([["/data/./runtimes//runc-debug.X", script]]) }).daemonJson).toEqual({
      runtimes: { "runc-debug": { path: "/usr/bin/runc", runtimeArgs: ["--debug"] } }
    })
  })

  it("runc shim options whose BinaryName is in the wrapper scripts directory are a warning: dockerd prunes it", () => {
    const text = v2(runtime("odd", `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "/data/runtimes/odd.X", IoUid = 7 }`))
    const result = imported("containerd", text)
    expect(result.daemonJson.runtimes).toEqual({ odd: { runtimeType: "io.containerd.runc.v2", options: { BinaryName: "/data/runtimes/odd.X", IoUid: 7 } } })
    expect(findingsOf(result.findings)).toEqual([{
      level: "warning",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.odd.options.BinaryName`,
      message: "/data/runtimes/odd.X is in the wrapper scripts directory: " +
        "dockerd removes the files of /data/runtimes its runtimes do not use as wrapper scripts when it starts: move it elsewhere"
    }])
  })

  it("a wrapper script that cannot be read comes back as the path itself, with a warning", () => {
    const text = v2(runtime(
      "runc-debug",
      `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "/data/runtimes/runc-debug.X", NoPivotRoot = false, Root = "/exec/runtime-runc", SystemdCgroup = false }`
    ))
    const result = imported("containerd", text)
    expect(result.daemonJson).toEqual({ runtimes: { "runc-debug": { path: "/data/runtimes/runc-debug.X" } } })
    expect(findingsOf(result.findings)).toEqual([{
      level: "warning",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-debug`,
      message: "/data/runtimes/runc-debug.X is in the wrapper scripts directory but could not be read: imported as the runtime's path, so any runtimeArgs stay inside it; " +
        "dockerd removes the files of /data/runtimes its runtimes do not use as wrapper scripts when it starts: move it elsewhere"
    }])
  })

  it("dockerd's own runc is the stock runtime; another runc cannot be imported", () => {
    const stock = `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "runc", NoPivotRoot = false, Root = "/exec/runtime-runc", SystemdCgroup = false }`
    expect(imported("containerd", v2(runtime("runc", stock)))).toEqual({ daemonJson: { runtimes: {} }, findings: [] })
    const other = imported("containerd", v2(runtime("runc", `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "/opt/runc" }`)))
    expect(other.daemonJson).toEqual({ runtimes: {} })
    expect(findingsOf(other.findings)).toEqual([{
      level: "problem",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc`,
      message: "runtime runc differs from dockerd's own, which daemon.json cannot redefine: left out (import it under another name)"
    }])
  })

  it("keys of a generic shim's options other than TypeUrl and ConfigPath are left out", () => {
    const result = imported("containerd", v2(runtime("kata", `runtime_type = "io.containerd.kata.v2"\noptions = { ConfigPath = "/k.toml", Debug = true }`)))
    expect(result.daemonJson).toEqual({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/k.toml" } } } })
    expect(findingsOf(result.findings)).toEqual([{
      level: "problem",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata.options.Debug`,
      message: "containerd passes this to the shim inside ConfigBody (the options table as TOML); dockerd has no such option"
    }])
  })

  it("CRI settings daemon.json lacks are left out, those at their defaults (as in config dump) are not reported", () => {
    const result = imported("containerd", v2(runtime(
      "kata",
      `runtime_type = "io.containerd.kata.v2"\nprivileged_without_host_devices = true\npod_annotations = []\nruntime_root = ""`
    )))
    expect(findingsOf(result.findings)).toEqual([{
      level: "problem",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata.privileged_without_host_devices`,
      message: "containerd's privileged_without_host_devices has no daemon.json equivalent"
    }])
  })

  it("default_runtime_name becomes default-runtime; runc is left implicit; an unknown one is reported", () => {
    const kata = runtime("kata", `runtime_type = "io.containerd.kata.v2"`)
    expect(imported("containerd", v2(kata, `default_runtime_name = "kata"`)).daemonJson["default-runtime"]).toBe("kata")
    expect(imported("containerd", v2(kata, `default_runtime_name = "runc"`)).daemonJson["default-runtime"]).toBeUndefined()
    expect(findingsOf(imported("containerd", v2(kata, `default_runtime_name = "gone"`)).findings)).toEqual([{
      level: "problem",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.default_runtime_name`,
      message: "default runtime gone is not among the imported runtimes"
    }])
  })

  it("a runtime whose options dockerd would refuse is left out, each refusal a problem at the runtime's key", () => {
    const result = imported("containerd", v2(runtime("odd", `runtime_type = "io.containerd.runc.v2"\noptions = { IoUid = -1 }`)))
    expect(result.daemonJson.runtimes).toEqual({})
    expect(findingsOf(result.findings)).toEqual([{
      level: "problem",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.odd`,
      message: `left out: dockerd would refuse runtimes.odd.options.IoUid: runtime odd: option "IoUid": -1 is out of range for uint32`
    }])
  })

  it("a default runtime left out for dockerd's refusal leaves no default-runtime behind", () => {
    const odd = runtime("odd", `runtime_type = "io.containerd.runc.v2"\noptions = { SystemdCgroup = "yes" }`)
    const result = imported("containerd", v2(odd, `default_runtime_name = "odd"`))
    expect(result.daemonJson).toEqual({ runtimes: {} })
    expect(findingsOf(result.findings).map(({ path }) => path)).toEqual([
      `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.odd`,
      `plugins."io.containerd.grpc.v1.cri".containerd.default_runtime_name`
    ])
  })

  it("generic shim options without a ConfigPath are a warning: containerd would send them as ConfigBody", () => {
    const result = imported("containerd", v2(runtime("gvisor", `runtime_type = "io.containerd.runsc.v1"\noptions = { TypeUrl = "t" }`)))
    expect(result.daemonJson.runtimes).toEqual({ gvisor: { runtimeType: "io.containerd.runsc.v1", options: { TypeUrl: "t" } } })
    expect(findingsOf(result.findings)).toEqual([{
      level: "warning",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.gvisor.options`,
      message: "without a ConfigPath containerd sends the shim this table in ConfigBody; dockerd will not"
    }])
  })

  it("a runtime without runtime_type is left out", () => {
    const result = imported("containerd", v2(runtime("empty", `privileged_without_host_devices = false`)))
    expect(result.daemonJson.runtimes).toEqual({})
    expect(findingsOf(result.findings)).toEqual([{
      level: "problem",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.empty`,
      message: "no runtime_type: containerd cannot start this runtime"
    }])
  })

  it("an option holding a date is left out, alone: JSON has no dates", () => {
    const result = imported("containerd", v2(runtime("kata", `runtime_type = "io.containerd.kata.v2"\noptions = { ConfigPath = "/k.toml", TypeUrl = 1979-05-27 }`)))
    expect(result.daemonJson.runtimes).toEqual({ kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/k.toml" } } })
    expect(findingsOf(result.findings)).toEqual([{
      level: "problem",
      path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata.options.TypeUrl`,
      message: "dates and times have no JSON form: option left out"
    }])
  })

  it("a binary in the scripts directory that is no wrapper script of ours comes back as the path, with a warning", () => {
    const text = v2(runtime(
      "odd",
      `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "/data/runtimes/odd", NoPivotRoot = false, Root = "/exec/runtime-runc", SystemdCgroup = false }`
    ))
    const result = imported("containerd", text, { scripts: new Map([["/data/runtimes/odd", "#!/bin/sh\nexec runc \"$@\"\n"]]) })
    expect(result.daemonJson.runtimes).toEqual({ odd: { path: "/data/runtimes/odd" } })
    expect(findingsOf(result.findings)[0]?.message).toBe(
      "/data/runtimes/odd is in the wrapper scripts directory but is not a wrapper script: imported as the runtime's path, so any runtimeArgs stay inside it; " +
        "dockerd removes the files of /data/runtimes its runtimes do not use as wrapper scripts when it starts: move it elsewhere"
    )
  })

  it("what dockerd would warn about is a warning", () => {
    const result = imported("containerd", v2(runtime("crun", `runtime_type = "io.containerd.runc.v2"\noptions = { BinaryName = "crun", SystemdCgroups = true }`)))
    expect(findingsOf(result.findings).map(({ level, path }) => ({ level, path }))).toEqual([
      { level: "warning", path: `plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun` }
    ])
  })

  it("a version that is no integer is refused as a type error", () => {
    expect(Result.getOrThrow(Result.flip(readImportFile("containerd", `version = "2"\n`, "f.toml"))).message).toContain(
      "f.toml: version: expected an integer, got a string"
    )
  })

  it("a file of the other containerd generation, or without the CRI tables, is refused", () => {
    const v3 = `version = 3\n[plugins."io.containerd.cri.v1.runtime".containerd]\n`
    expect(Result.getOrThrow(Result.flip(readImportFile("containerd", v3, "f.toml"))).message).toBe(
      "f.toml: version: containerd reads version = 2 files; this one is version = 3"
    )
    expect(Result.getOrThrow(Result.flip(readImportFile("containerd-v3", "version = 3\n", "f.toml"))).message).toBe(
      `f.toml: plugins."io.containerd.cri.v1.runtime".containerd: no such table: not a containerd-v3 CRI configuration`
    )
  })

  it("a value of the wrong type is refused at its path", () => {
    const error = Result.getOrThrow(Result.flip(readImportFile("containerd", v2(runtime("kata", "runtime_type = 2")), "f.toml")))
    expect({ reason: error.reason, message: error.message }).toEqual({
      reason: "Shape",
      message: `f.toml: plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata.runtime_type: expected a string, got an integer`
    })
  })
})
