/**
 * The RuntimeClass target against Kubernetes' schema: a YAML stream of
 * `node.k8s.io/v1` RuntimeClass objects, each `metadata.name` a DNS
 * subdomain and `handler` a DNS label (at most 63 characters).
 */
import { describe, expect, it } from "@effect/vitest"
import { parseAllDocuments } from "yaml"
import { exported, findingsOf, tableOf } from "./support.ts"

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

const migration = {
  runtimes: { crun: { path: "/usr/bin/crun" }, Kata: { runtimeType: "io.containerd.kata.v2" } }
}

describe("export --to runtimeclass", () => {
  const result = exported(tableOf(migration), "runtimeclass", { Kata: "kata" })
  const objects = parseAllDocuments(result.text).map((document) => (document as any).toJS())

  it("is one RuntimeClass per exported runtime, sorted by handler", () => {
    expect(objects.map((object) => object.handler)).toEqual(["crun", "kata", "runc"])
  })

  it("each object has exactly the schema's fields: apiVersion, kind, metadata.name and handler", () => {
    for (const object of objects) {
      expect(Object.keys(object).sort()).toEqual(["apiVersion", "handler", "kind", "metadata"])
      expect(object.apiVersion).toBe("node.k8s.io/v1")
      expect(object.kind).toBe("RuntimeClass")
      expect(Object.keys(object.metadata)).toEqual(["name"])
    }
  })

  it("handlers are DNS labels and names DNS subdomains", () => {
    for (const object of objects) {
      expect(object.handler).toMatch(label)
      expect(object.handler.length).toBeLessThanOrEqual(63)
      expect(object.metadata.name).toMatch(subdomain)
    }
  })

  it("the default runtime has no RuntimeClass equivalent, and says so", () => {
    expect(findingsOf(result.findings)).toEqual([{
      level: "problem",
      path: "default-runtime",
      message: "Kubernetes has no default RuntimeClass: pods without runtimeClassName run with the node's CRI default (runc here)"
    }])
  })

  it("handlers YAML 1.1 reads as booleans or numbers (kubectl's YAML) stay strings", () => {
    const names = ["no", "yes", "on", "off", "y", "n", "0o17", "0x1f", "123", "1e3", "null"]
    const table = tableOf({ runtimes: Object.fromEntries(names.map((name) => [name, { path: "/usr/bin/crun" }])) })
    const text = exported(table, "runtimeclass").text
    for (const version of ["1.1", "1.2"] as const) {
      const read = parseAllDocuments(text, { version }).map((document) => (document as any).toJS())
      expect(read.map((object) => object.handler)).toEqual([...names, "runc"].sort())
      expect(read.map((object) => object.metadata.name)).toEqual([...names, "runc"].sort())
    }
  })
})
