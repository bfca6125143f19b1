import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { readFileSync } from "node:fs"
import { decodeFeatures, type Features, InvalidFeaturesDocument, summariseFeatures } from "../../src/features/Features.ts"

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")

const decoded = (stdout: string): Features => Result.getOrThrow(decodeFeatures(stdout))

const failure = (stdout: string): InvalidFeaturesDocument => {
  const result = decodeFeatures(stdout)
  if (Result.isSuccess(result)) throw new Error(`expected a failure, got ${JSON.stringify(result.success)}`)
  return result.failure
}

/** A decoded document as JSON data: numbers in unknown fields are kept as literals, which compare as objects. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

describe("decodeFeatures", () => {
  it("decodes the features runc 1.1.5 prints", () => {
    const features = decoded(fixture("runc-1.1.5-features.json"))
    expect(features.ociVersionMin).toBe("1.0.0")
    expect(features.ociVersionMax).toBe("1.0.2-dev")
    expect(features.hooks).toEqual([
      "prestart",
      "createRuntime",
      "createContainer",
      "startContainer",
      "poststart",
      "poststop"
    ])
    expect(features.mountOptions).toContain("rbind")
    expect(features.linux?.namespaces).toContain("user")
    expect(features.linux?.capabilities).toContain("CAP_SYS_ADMIN")
    expect(features.linux?.cgroup).toEqual({ v1: true, v2: true, systemd: true, systemdUser: true })
    expect(features.linux?.seccomp?.enabled).toBe(true)
    expect(features.linux?.seccomp?.archs).toContain("SCMP_ARCH_X86_64")
    expect(features.linux?.apparmor?.enabled).toBe(true)
    expect(features.linux?.selinux?.enabled).toBe(true)
    expect(features.annotations?.["org.opencontainers.runc.version"]).toBe("1.1.5+ds1")
  })

  it("keeps the whole runc 1.1.5 document", () => {
    const text = fixture("runc-1.1.5-features.json")
    expect(decoded(text)).toEqual(JSON.parse(text))
  })

  it("keeps fields it does not know, at every level", () => {
    const newer = {
      ociVersionMin: "1.0.0",
      ociVersionMax: "1.3.0",
      futureTop: { nested: [1, 2] },
      potentiallyUnsafeConfigAnnotations: ["com.example.", "org.example.key"],
      linux: {
        futureLinux: "x",
        cgroup: { v2: true, rdma: true, futureCgroup: 1 },
        seccomp: {
          enabled: true,
          knownFlags: ["SECCOMP_FILTER_FLAG_LOG"],
          supportedFlags: ["SECCOMP_FILTER_FLAG_LOG"],
          futureSeccomp: null
        },
        apparmor: { enabled: false, futureApparmor: true },
        selinux: { enabled: true, futureSelinux: "y" },
        intelRdt: { enabled: true, schemata: true, futureRdt: [] },
        memoryPolicy: { modes: ["MPOL_BIND"], flags: ["MPOL_F_STATIC_NODES"], futurePolicy: {} },
        mountExtensions: { idmap: { enabled: true, futureIdmap: 2 }, futureMount: false },
        netDevices: { enabled: true, futureNet: "z" }
      }
    }
    expect(asJson(decoded(JSON.stringify(newer)))).toEqual(newer)
  })

  it("decodes a document with only unknown fields", () => {
    expect(asJson(decoded(`{"somethingNew":{"enabled":true},"another":[1]}`))).toEqual({
      somethingNew: { enabled: true },
      another: [1]
    })
  })

  it("accepts an empty document, since every field is optional", () => {
    expect(decoded("{}")).toEqual({})
  })

  it("accepts empty nested objects, since their fields are optional too", () => {
    const empty = {
      linux: {
        cgroup: {},
        seccomp: {},
        apparmor: {},
        selinux: {},
        intelRdt: {},
        memoryPolicy: {},
        mountExtensions: { idmap: {} },
        netDevices: {}
      }
    }
    expect(decoded(JSON.stringify(empty))).toEqual(empty)
  })

  it("reads null as an absent field, as Go does", () => {
    expect(decoded(`{"hooks":null,"linux":{"seccomp":null,"cgroup":{"v1":null}},"annotations":null}`)).toEqual({
      linux: { cgroup: {} }
    })
  })

  it("fails on invalid JSON, saying where, in Go's words", () => {
    const error = failure("unknown command features")
    expect(error).toBeInstanceOf(InvalidFeaturesDocument)
    expect(error.reason).toBe("invalid JSON at line 1, column 1: invalid character 'u' looking for beginning of value")
  })

  it("fails on empty output", () => {
    expect(failure("").reason).toBe("invalid JSON at line 1, column 1: unexpected end of JSON input")
  })

  it("keeps a number in an unknown field exactly as the runtime wrote it, even past a double's range", () => {
    const text = `{"futureLimit":1e400,"futureId":123456789012345678901234567890}`
    expect(JSON.stringify(decoded(text))).toBe(text)
  })

  it("refuses a document nested too deeply to be written out again", () => {
    const text = `{"future":${"[".repeat(5000)}${"]".repeat(5000)}}`
    expect(failure(text).reason).toMatch(/exceeded max depth$/)
  })

  it("fails on a field of the wrong type, naming where", () => {
    expect(failure(`{"linux":{"cgroup":{"v2":"yes"}}}`).reason).toBe(
      `Expected boolean | null at ["linux"]["cgroup"]["v2"]`
    )
  })

  it("fails on a non-string annotation", () => {
    expect(failure(`{"annotations":{"a":1}}`).reason).toBe(`Expected string at ["annotations"]["a"]`)
  })

  it("fails on a document that is not an object", () => {
    expect(failure(`["runc"]`).reason).toBe("Expected object")
  })
})

describe("summariseFeatures", () => {
  it("summarises runc 1.1.5 as versions, hooks and security features", () => {
    expect(summariseFeatures(decoded(fixture("runc-1.1.5-features.json")))).toBe(
      "OCI 1.0.0–1.0.2-dev, 6 hooks, seccomp, apparmor, selinux"
    )
  })

  it("lists enabled subsystems in a fixed order whatever the document's order", () => {
    expect(summariseFeatures({
      hooks: ["prestart"],
      linux: {
        netDevices: { enabled: true },
        mountExtensions: { idmap: { enabled: true } },
        intelRdt: { enabled: true },
        selinux: { enabled: false },
        seccomp: { enabled: true }
      }
    })).toBe("1 hook, seccomp, intelRdt, idmap, netDevices")
  })

  it("shows a one-sided version range", () => {
    expect(summariseFeatures({ ociVersionMin: "1.0.0" })).toBe("OCI ≥1.0.0")
    expect(summariseFeatures({ ociVersionMax: "1.2.0" })).toBe("OCI ≤1.2.0")
  })

  it("says so when nothing is reported", () => {
    expect(summariseFeatures({ unknown: true })).toBe("no features reported")
  })
})

describe("decodeFeatures: numbers", () => {
  it.each([["1"], [`{"linux":{"cgroup":7}}`]])(
    "refuses a number where the document needs an object: %s",
    (text) => {
      expect(Result.isFailure(decodeFeatures(text))).toBe(true)
    }
  )

  it("refuses a number for the linux object, naming the field", () => {
    expect(failure(`{"linux": 5}`).reason).toBe(`Expected object | null at ["linux"]`)
  })

  it("refuses a number for the annotations map, though a kept literal is an object of strings", () => {
    expect(failure(`{"annotations": 5}`).reason).toBe(`Expected object | null at ["annotations"]`)
  })

  it("refuses a number among the hook names", () => {
    expect(failure(`{"hooks": [1]}`).reason).toBe(`Expected string at ["hooks"][0]`)
  })

  it("refuses a number too large for a double as an annotation, as any number there", () => {
    expect(failure(`{"annotations":{"a":1e400}}`).reason).toBe(`Expected string at ["annotations"]["a"]`)
  })

  it("keeps the numbers of an unknown field inside a known object as written", () => {
    const text = `{"linux":{"futureLimit":1e400,"futureList":[-0,1.50]}}`
    expect(JSON.stringify(decoded(text))).toBe(text)
  })
})
