import { describe, expect, it } from "@effect/vitest"
import * as Option from "effect/Option"
import {
  compareVersions,
  ignoredOptionFields,
  isAtLeast,
  parseContainerdVersion,
  versionedFields
} from "../../src/containerd/ContainerdVersion.ts"
import type { ShimOptions } from "../../src/options/ShimOptions.ts"
import { shimOptionsMessages } from "../../src/options/ShimOptions.ts"

const runc = (value: Extract<ShimOptions, { _tag: "RuncOptions" }>["value"]): ShimOptions => ({
  _tag: "RuncOptions",
  typeUrl: "containerd.runc.v1.Options",
  value
})
const runtime = (value: Extract<ShimOptions, { _tag: "RuntimeOptions" }>["value"]): ShimOptions => ({
  _tag: "RuntimeOptions",
  typeUrl: "runtimeoptions.v1.Options",
  value
})

const fieldsIgnoredBy = (version: string, options: ShimOptions) =>
  ignoredOptionFields(version, options).map((ignored) => ignored.goName)

describe("parseContainerdVersion", () => {
  it.each([
    ["1.6.20~ds1", { major: 1, minor: 6, patch: 20 }],
    ["v1.7.13", { major: 1, minor: 7, patch: 13 }],
    ["2.0.0", { major: 2, minor: 0, patch: 0 }],
    ["2.1.0-rc.1", { major: 2, minor: 1, patch: 0 }],
    ["1.6.0", { major: 1, minor: 6, patch: 0 }],
    ["1.7.12-0ubuntu4", { major: 1, minor: 7, patch: 12 }],
    ["v2.0.0-beta.2-42-gabcdef0", { major: 2, minor: 0, patch: 0 }],
    ["1.7.13+unknown", { major: 1, minor: 7, patch: 13 }],
    [" 1.6.20\n", { major: 1, minor: 6, patch: 20 }]
  ])("reads %j as its release triple", (text, version) => {
    expect(parseContainerdVersion(text)).toEqual(Option.some(version))
  })

  it.each(["", "1.7", "containerd 1.6.20", "v1.7.x", "01.6.2", "1.6.20.1", "dev"])(
    "refuses %j, which has no release triple at its start",
    (text) => {
      expect(parseContainerdVersion(text)).toEqual(Option.none())
    }
  )
})

describe("compareVersions", () => {
  it("orders by major, then minor, then patch, numerically", () => {
    const sorted = [{ major: 1, minor: 10, patch: 0 }, { major: 1, minor: 6, patch: 20 }, { major: 1, minor: 6, patch: 3 }]
      .sort(compareVersions)
    expect(sorted).toEqual([{ major: 1, minor: 6, patch: 3 }, { major: 1, minor: 6, patch: 20 }, { major: 1, minor: 10, patch: 0 }])
  })

  it("counts a release as at least itself", () => {
    expect(isAtLeast({ major: 2, minor: 0, patch: 0 }, { major: 2, minor: 0, patch: 0 })).toBe(true)
  })
})

describe("ignoredOptionFields", () => {
  const taskApi = runc({ binaryName: "runc", taskApiAddress: "ttrpc+unix:///run/t.sock", taskApiVersion: 3 })

  it("reports TaskApiAddress and TaskApiVersion to containerd 1.6.20~ds1", () => {
    expect(ignoredOptionFields("1.6.20~ds1", taskApi)).toEqual([
      { field: "task_api_address", goName: "TaskApiAddress", reason: "it exists from containerd 2.0" },
      { field: "task_api_version", goName: "TaskApiVersion", reason: "it exists from containerd 2.0" }
    ])
  })

  it("reports the task API fields to containerd v1.7.13", () => {
    expect(fieldsIgnoredBy("v1.7.13", taskApi)).toEqual(["TaskApiAddress", "TaskApiVersion"])
  })

  it.each(["2.0.0", "2.1.0-rc.1", "2.0.0-rc.1"])("reports nothing to containerd %s, which reads them", (version) => {
    expect(ignoredOptionFields(version, taskApi)).toEqual([])
  })

  it("reports only the fields that are set: a zero TaskApiVersion is not on the wire", () => {
    expect(fieldsIgnoredBy("1.7.13", runc({ taskApiAddress: "ttrpc+unix:///t", taskApiVersion: 0 })))
      .toEqual(["TaskApiAddress"])
  })

  it("reports ConfigBody to containerd 1.6.0", () => {
    expect(ignoredOptionFields("1.6.0", runtime({ configBody: "W2FdCg==" }))).toEqual([
      { field: "config_body", goName: "ConfigBody", reason: "it exists from containerd 1.6.1" }
    ])
  })

  it("reports nothing about ConfigBody to containerd 1.6.1", () => {
    expect(ignoredOptionFields("1.6.1", runtime({ configBody: "W2FdCg==" }))).toEqual([])
  })

  it("reports nothing about ConfigPath, which every release reads", () => {
    expect(ignoredOptionFields("1.6.0", runtime({ configPath: "/etc/kata/configuration.toml" }))).toEqual([])
  })

  it("reports nothing when the version cannot be read", () => {
    expect(ignoredOptionFields("unknown", taskApi)).toEqual([])
  })

  it("names in every rule a field its message declares", () => {
    for (const rule of versionedFields) {
      expect(shimOptionsMessages[rule.options].fields.map((field) => field.protoName)).toContain(rule.protoName)
    }
  })
})
