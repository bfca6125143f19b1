/**
 * Whether a runtime name can be a Kubernetes RuntimeClass `handler`.
 *
 * Kubernetes validates a handler as an RFC 1123 DNS label: at most 63
 * characters, lowercase letters, digits and `-`, starting and ending with a
 * letter or digit. A Docker node (through cri-dockerd) passes the handler to
 * dockerd as the runtime name, so a runtime whose name is not a label cannot
 * be selected by a RuntimeClass. dockerd itself accepts any name; this is
 * informational only.
 *
 * Pure.
 */

const maxLength = 63
const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Why `name` is not a DNS label, or `undefined` when it is one. */
export const whyNotHandlerName = (name: string): string | undefined => {
  if (name === "") return "it is empty"
  if (name.length > maxLength) return `it is longer than ${maxLength} characters`
  if (label.test(name)) return undefined
  const bad = Array.from(name).find((char) => !/[-a-z0-9]/.test(char))
  if (bad !== undefined) return `it contains ${JSON.stringify(bad)}`
  return "it starts or ends with '-'"
}
