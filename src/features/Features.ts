/**
 * The features document an OCI runtime prints for `<runtime> features`
 * (opencontainers/runtime-spec `features.md`, `specs-go/features`).
 *
 * dockerd runs that command for every runc-compatible runtime it sets up and
 * keeps the decoded document for the API. The document is experimental and
 * grows with each runtime-spec release, so this schema is deliberately lenient:
 *
 * - every field is optional, because the spec says an absent field means
 *   "unknown", not "unsupported";
 * - keys this schema does not know are kept, at every level, so the document of
 *   a newer runtime survives a decode and re-encode unchanged;
 * - `null` is read as "absent", as Go's `encoding/json` (and so dockerd) reads
 *   it, and as Go runtimes write nil slices and maps without `omitempty`;
 * - numbers (only unknown fields have any) keep the literal the runtime wrote,
 *   so `1e400` or a 20-digit integer is neither refused nor altered.
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { findJsonSyntaxError } from "../json/JsonSyntax.ts"
import { parseKeepingNumberLiterals } from "../json/NumberLiteral.ts"

/**
 * Lets any key the struct does not declare through unchanged: `Any` rather
 * than `Unknown`, which the JSON codec would check, and reject, for the
 * literal-keeping numbers.
 */
const unknownKeys = [Schema.Record(Schema.String, Schema.Any)] as const

const open = <const Fields extends Schema.Struct.Fields>(fields: Fields) =>
  Schema.StructWithRest(Schema.Struct(fields), unknownKeys)

const optionalFlag = Schema.optionalKey(Schema.Boolean)
const optionalNames = Schema.optionalKey(Schema.Array(Schema.String))
const enabledOnly = Schema.optionalKey(open({ enabled: optionalFlag }))

const Cgroup = open({
  v1: optionalFlag,
  v2: optionalFlag,
  systemd: optionalFlag,
  systemdUser: optionalFlag,
  rdma: optionalFlag
})

const Seccomp = open({
  enabled: optionalFlag,
  actions: optionalNames,
  operators: optionalNames,
  archs: optionalNames,
  knownFlags: optionalNames,
  supportedFlags: optionalNames
})

const IntelRdt = open({
  enabled: optionalFlag,
  schemata: optionalFlag
})

const MemoryPolicy = open({
  modes: optionalNames,
  flags: optionalNames
})

const MountExtensions = open({
  idmap: enabledOnly
})

const Linux = open({
  namespaces: optionalNames,
  capabilities: optionalNames,
  cgroup: Schema.optionalKey(Cgroup),
  seccomp: Schema.optionalKey(Seccomp),
  apparmor: enabledOnly,
  selinux: enabledOnly,
  intelRdt: Schema.optionalKey(IntelRdt),
  memoryPolicy: Schema.optionalKey(MemoryPolicy),
  mountExtensions: Schema.optionalKey(MountExtensions),
  netDevices: enabledOnly
})

/** Schema of the features document, as decoded from parsed JSON. */
export const Features = open({
  ociVersionMin: Schema.optionalKey(Schema.String),
  ociVersionMax: Schema.optionalKey(Schema.String),
  hooks: optionalNames,
  mountOptions: optionalNames,
  linux: Schema.optionalKey(Linux),
  annotations: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  potentiallyUnsafeConfigAnnotations: optionalNames
})

export type Features = typeof Features.Type

/** Why a runtime's `features` output is not a features document. */
export class InvalidFeaturesDocument extends Schema.TaggedError<InvalidFeaturesDocument>()(
  "InvalidFeaturesDocument",
  { reason: Schema.String }
) {}

const decodeParsed = Schema.decodeUnknownResult(Schema.toCodecGoJson(Features))

/** Schema messages put the path on a second line; a warning wants one line. */
const invalidDocument = (error: Schema.SchemaError): InvalidFeaturesDocument =>
  new InvalidFeaturesDocument({ reason: error.message.replace(/\s*\n\s*/g, " ") })

/**
 * Decodes the standard output of `<runtime> features`.
 *
 * The text is checked before it is parsed, so a syntax error says where (line
 * and column, in Go's words), and a document nested too deeply to be written
 * out again is refused rather than kept.
 */
export const decodeFeatures = (stdout: string): Result.Result<Features, InvalidFeaturesDocument> => {
  const syntaxError = findJsonSyntaxError(stdout)
  if (syntaxError !== undefined) {
    const { column, line, message } = syntaxError
    return Result.fail(new InvalidFeaturesDocument({ reason: `invalid JSON at line ${line}, column ${column}: ${message}` }))
  }
  // The shape is checked on plain values: a kept literal is an object, which
  // would pass where the document needs an object. Only a document of the
  // right shape is decoded again with its numbers kept as written.
  const shape = decodeParsed(JSON.parse(stdout))
  if (Result.isFailure(shape)) return Result.fail(invalidDocument(shape.failure))
  return Result.mapError(decodeParsed(parseKeepingNumberLiterals(stdout)), invalidDocument)
}

const versionRange = (min: string | undefined, max: string | undefined): string | undefined => {
  if (min !== undefined && max !== undefined) return `OCI ${min}–${max}`
  if (min !== undefined) return `OCI ≥${min}`
  if (max !== undefined) return `OCI ≤${max}`
  return undefined
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`

/**
 * One line for a table of runtimes: the spec versions, the number of hooks,
 * then the optional subsystems the runtime reports as compiled in, always in
 * the same order. Fields the runtime did not report are left out rather than
 * shown as unsupported, since absent means unknown.
 */
export const summariseFeatures = (features: Features): string => {
  const linux = features.linux
  const enabled: ReadonlyArray<readonly [string, boolean | undefined]> = [
    ["seccomp", linux?.seccomp?.enabled],
    ["apparmor", linux?.apparmor?.enabled],
    ["selinux", linux?.selinux?.enabled],
    ["intelRdt", linux?.intelRdt?.enabled],
    ["idmap", linux?.mountExtensions?.idmap?.enabled],
    ["netDevices", linux?.netDevices?.enabled]
  ]
  const parts = [
    versionRange(features.ociVersionMin, features.ociVersionMax),
    features.hooks === undefined ? undefined : count(features.hooks.length, "hook"),
    ...enabled.map(([name, on]) => (on === true ? name : undefined))
  ].filter((part) => part !== undefined)
  return parts.length === 0 ? "no features reported" : parts.join(", ")
}
