/**
 * containerd's version, as its Version service or `containerd --version`
 * reports it, reduced to what decides which shim option fields it knows.
 *
 * Distributions decorate the version: Debian writes `1.6.20~ds1`, Ubuntu
 * `1.7.12-0ubuntu4`, containerd's own builds `v1.7.13`, release candidates
 * `2.1.0-rc.1`, development builds `v2.0.0-beta.2-42-gabcdef0`. Only the
 * release triple is kept: a pre-release of a line already carries that line's
 * API (fields land before the first candidate), and a distribution suffix is
 * packaging, not API. Anything without a `major.minor.patch` at its start is
 * refused, so a caller can say "we cannot know" rather than guess.
 *
 * With the version: which shim option fields a release does not know yet,
 * so a caller can warn before containerd silently drops them.
 */
import * as Option from "effect/Option"
import type { ShimOptions } from "../options/ShimOptions.ts"
import { shimOptionsMessages, toProtoJson } from "../options/ShimOptions.ts"

/** A containerd release line and patch level. */
export interface ContainerdVersion {
  readonly major: number
  readonly minor: number
  readonly patch: number
}

/** `v` prefix, the triple, then nothing or a suffix introduced by `-`, `~` or `+`. */
const versionPattern = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-~+].*)?$/s

/** The release triple at the start of a version string, or none when there is none. */
export const parseContainerdVersion = (text: string): Option.Option<ContainerdVersion> => {
  const match = versionPattern.exec(text.trim())
  if (match === null) return Option.none()
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number) as [number, number, number]
  return Option.some({ major, minor, patch })
}

/** Orders two versions by their triples: negative, zero or positive, as `Array.prototype.sort` wants. */
export const compareVersions = (a: ContainerdVersion, b: ContainerdVersion): number =>
  a.major - b.major || a.minor - b.minor || a.patch - b.patch

/** Whether `version` is `release` or later. */
export const isAtLeast = (version: ContainerdVersion, release: ContainerdVersion): boolean =>
  compareVersions(version, release) >= 0

/** `1.6.1`: how versions are written in messages. */
export const formatVersion = (version: ContainerdVersion): string =>
  `${version.major}.${version.minor}.${version.patch}`

/** A field that exists only from some containerd release on; older releases drop it without a word. */
export interface VersionedField {
  readonly options: ShimOptions["_tag"]
  /** The field's name in the `.proto`. */
  readonly protoName: string
  /** The first release that reads the field. */
  readonly since: ContainerdVersion
  /** How that release is named in messages: `2.0`, `1.6.1`. */
  readonly sinceLabel: string
}

/**
 * The option fields containerd releases disagree on. `criu_path` (runc field
 * 8, honoured by 1.6 and 1.7) is not here: 2.x reserves the number, so the
 * descriptor leaves the field out and it can never be set.
 */
export const versionedFields: ReadonlyArray<VersionedField> = [
  { options: "RuncOptions", protoName: "task_api_address", since: { major: 2, minor: 0, patch: 0 }, sinceLabel: "2.0" },
  { options: "RuncOptions", protoName: "task_api_version", since: { major: 2, minor: 0, patch: 0 }, sinceLabel: "2.0" },
  {
    options: "RuntimeOptions",
    protoName: "config_body",
    since: { major: 1, minor: 6, patch: 1 },
    sinceLabel: "1.6.1"
  }
]

/** A set option field the containerd in question will ignore. */
export interface IgnoredOptionField {
  /** The field's name in the `.proto`. */
  readonly field: string
  /** The Go name, as the administrator wrote it in daemon.json. */
  readonly goName: string
  /** Why, in words that follow "containerd X ignores option Y: ": `it exists from containerd 2.0`. */
  readonly reason: string
}

/**
 * The fields of `options` that are set (on the wire, so not at their default)
 * but that containerd `containerdVersion` does not know. A version that cannot
 * be read gives no findings: nothing is known about it, and a false warning
 * is worse than none.
 */
export const ignoredOptionFields = (
  containerdVersion: string,
  options: ShimOptions
): ReadonlyArray<IgnoredOptionField> => {
  const version = parseContainerdVersion(containerdVersion)
  if (Option.isNone(version)) return []
  const onTheWire = toProtoJson(options).value
  const found: Array<IgnoredOptionField> = []
  for (const rule of versionedFields) {
    if (rule.options !== options._tag || isAtLeast(version.value, rule.since)) continue
    const field = shimOptionsMessages[rule.options].fields.find((field) => field.protoName === rule.protoName)
    if (field === undefined || !(field.jsonName in onTheWire)) continue
    found.push({ field: field.protoName, goName: field.goName, reason: `it exists from containerd ${rule.sinceLabel}` })
  }
  return found
}
