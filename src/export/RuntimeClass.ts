/**
 * Kubernetes: one `node.k8s.io/v1` RuntimeClass per exported runtime, as a
 * YAML stream, so pods can ask for a runtime by `runtimeClassName`. The
 * object's name is its handler (a DNS label is also a valid object name).
 *
 * Kubernetes has no default RuntimeClass: a pod without one runs with the
 * node runtime's default, which the CRI configuration names.
 *
 * Pure.
 */
import { Document } from "yaml"
import { leftOut } from "./Finding.ts"
import type { ExportInput, ExportTarget, Translation } from "./Target.ts"

export interface RuntimeClassObject {
  readonly apiVersion: "node.k8s.io/v1"
  readonly kind: "RuntimeClass"
  readonly metadata: { readonly name: string }
  readonly handler: string
}

const classFor = (handler: string): RuntimeClassObject => ({
  apiVersion: "node.k8s.io/v1",
  kind: "RuntimeClass",
  metadata: { name: handler },
  handler
})

const translate = (input: ExportInput): Translation => ({
  document: input.runtimes.map(({ handler }) => classFor(handler)),
  findings: [leftOut(
    "default-runtime",
    `Kubernetes has no default RuntimeClass: pods without runtimeClassName run with the node's CRI default (${input.defaultRuntime} here)`
  )]
})

/**
 * Each object a YAML document of its own, `---` between them. Every value is
 * double-quoted: kubectl reads YAML 1.1, where handlers that are fine DNS
 * labels (`no`, `on`, `y`, `0o17`) would be booleans or numbers unquoted.
 */
const render = (document: unknown): string =>
  (document as ReadonlyArray<RuntimeClassObject>).map((object) =>
    new Document(object).toString({ defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" })
  ).join("---\n")

export const runtimeClasses: ExportTarget = {
  format: "runtimeclass",
  translate,
  render,
  binariesToLocate: () => []
}
