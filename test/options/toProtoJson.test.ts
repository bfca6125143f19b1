import { describe, expect, it } from "@effect/vitest"
import type { ShimOptions } from "../../src/options/ShimOptions.ts"
import { runcOptions, toProtoJson } from "../../src/options/ShimOptions.ts"

const runhcs = (value: Extract<ShimOptions, { _tag: "RunhcsOptions" }>["value"]): ShimOptions => ({
  _tag: "RunhcsOptions",
  typeUrl: "containerd.runhcs.v1.Options",
  value
})

describe("runcOptions", () => {
  it("builds the runc options dockerd gives its stock runtimes", () => {
    expect(
      runcOptions({ binaryName: "runc", root: "/var/run/docker/runtime-runc", systemdCgroup: true, noPivotRoot: false })
    ).toEqual({
      _tag: "RuncOptions",
      typeUrl: "containerd.runc.v1.Options",
      value: { binaryName: "runc", root: "/var/run/docker/runtime-runc", systemdCgroup: true, noPivotRoot: false }
    })
  })
})

describe("toProtoJson", () => {
  it("leaves out fields at their default value", () => {
    const options = runcOptions({ binaryName: "runc", root: "", systemdCgroup: false, noPivotRoot: false })
    expect(toProtoJson(options)).toEqual({ typeUrl: "containerd.runc.v1.Options", value: { binaryName: "runc" } })
  })

  it("leaves out zero integers, default enums and empty maps", () => {
    expect(
      toProtoJson(runhcs({ vmProcessorCount: 0, debugType: "NPIPE", defaultContainerAnnotations: {} })).value
    ).toEqual({})
  })

  it("writes an explicit false for a field with presence", () => {
    expect(toProtoJson(runhcs({ scrubLogs: false })).value).toEqual({ scrubLogs: false })
  })

  it("writes fields in field-number order", () => {
    const options = runcOptions({ binaryName: "crun", root: "/r", systemdCgroup: true, noPivotRoot: true })
    const { value } = toProtoJson(options)
    expect(Object.keys(value)).toEqual(["noPivotRoot", "binaryName", "root", "systemdCgroup"])
  })

  it("writes enums by name", () => {
    expect(toProtoJson(runhcs({ sandboxIsolation: "HYPERVISOR" })).value).toEqual({ sandboxIsolation: "HYPERVISOR" })
  })

  it("writes map entries sorted by key", () => {
    const { value } = toProtoJson(runhcs({ defaultContainerAnnotations: { b: "2", a: "1" } }))
    expect(Object.keys(value.defaultContainerAnnotations as object)).toEqual(["a", "b"])
  })

  it("writes bytes as base64", () => {
    const typeUrl = "runtimeoptions.v1.Options"
    const options: ShimOptions = { _tag: "RuntimeOptions", typeUrl, value: { configBody: "YQ==" } }
    expect(toProtoJson(options)).toEqual({ typeUrl, value: { configBody: "YQ==" } })
  })

  it("keeps the capitals of JSON names the .proto spells with capitals", () => {
    expect(toProtoJson(runhcs({ NCProxyAddr: "npipe", GPUVHDPath: "C:\\gpu.vhdx" })).value).toEqual({
      GPUVHDPath: "C:\\gpu.vhdx",
      NCProxyAddr: "npipe"
    })
  })
})
