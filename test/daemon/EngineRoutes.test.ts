import { describe, expect, it } from "vitest"
import { apiVersion, compareVersions, route } from "../../src/daemon/EngineRoutes.ts"

describe("compareVersions, as dockerd compares API versions", () => {
  it.each([
    ["1.24", "1.24", 0],
    ["1.4", "1.24", -1],
    ["1.41", "1.9", 1],
    ["1.24.0", "1.24", 0],
    ["1", "1.0", 0],
    ["1..2", "1.0.2", 0],
    ["99999999999999999999", "9223372036854775807", 0]
  ] as const)("%s against %s is %i", (left, right, order) => {
    expect(compareVersions(left, right)).toBe(order)
  })
})

describe("route", () => {
  it("serves every route under its plain path and under /v<version>/, with the version asked for", () => {
    expect(route("GET", "/info")).toEqual({ _tag: "Matched", endpoint: { _tag: "Info" }, version: apiVersion })
    expect(route("GET", "/v1.41/info")).toEqual({ _tag: "Matched", endpoint: { _tag: "Info" }, version: "1.41" })
    expect(route("GET", "/v1.41/version?x=1")).toMatchObject({ endpoint: { _tag: "Version" } })
  })

  it("answers /_ping to GET and HEAD, and nothing else to HEAD", () => {
    expect(route("HEAD", "/_ping")).toMatchObject({ _tag: "Matched", endpoint: { _tag: "Ping" } })
    expect(route("GET", "/v1.45/_ping")).toMatchObject({ _tag: "Matched", endpoint: { _tag: "Ping" } })
    expect(route("HEAD", "/info")).toEqual({ _tag: "NotFound" })
  })

  it("a known path asked with another method is not found, as dockerd answers it", () => {
    expect(route("POST", "/info")).toEqual({ _tag: "NotFound" })
    expect(route("DELETE", "/v1.41/_ping")).toEqual({ _tag: "NotFound" })
  })

  it("unknown paths, trailing slashes and a bare version are not found", () => {
    for (const target of ["/containers/json", "/info/", "/v1.41", "/v1.41/", "/vx/info", "/runtimes/", "/runtimes/a/b"]) {
      expect(route("GET", target)).toEqual({ _tag: "NotFound" })
    }
  })

  it("a version outside the range served is refused in dockerd's words, once a route matched", () => {
    expect(route("GET", "/v1.12/info")).toEqual({
      _tag: "UnsupportedVersion",
      message: "client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"
    })
    expect(route("GET", "/v1.99/_ping")).toEqual({
      _tag: "UnsupportedVersion",
      message: `client version 1.99 is too new. Maximum supported API version is ${apiVersion}`
    })
    expect(route("GET", "/v1.99/nothing")).toEqual({ _tag: "NotFound" })
  })

  it("a runtime name is one path segment, percent-decoded, so %2F stands for a slash in it", () => {
    expect(route("GET", "/runtimes/kata")).toMatchObject({ endpoint: { _tag: "Runtime", name: "kata" } })
    expect(route("GET", "/v1.41/runtimes/my%2Fcustom.runtime.v1")).toMatchObject({
      endpoint: { _tag: "Runtime", name: "my/custom.runtime.v1" }
    })
    expect(route("GET", "/runtimes/%zz")).toEqual({ _tag: "BadPath", message: "invalid URL escape in \"%zz\"" })
  })
})
