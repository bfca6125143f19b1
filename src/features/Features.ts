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
import * as SchemaAST from "effect/SchemaAST"
import { type JsonPath, parseJson } from "../json/JsonSyntax.ts"
import { keepLiteral } from "../json/NumberLiteral.ts"

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

/** Built on first use (about 1.5 ms): a command that never probes should not pay for it at start-up. */
let decodeParsed: ((input: unknown) => Result.Result<Features, Schema.SchemaError>) | undefined

const decodeDocument = (document: unknown): Result.Result<Features, Schema.SchemaError> =>
  (decodeParsed ??= Schema.decodeUnknownResult(Schema.toCodecGoJson(Features)))(document)

/** Schema messages put the path on a second line; a warning wants one line. */
const invalidDocument = (error: Schema.SchemaError): InvalidFeaturesDocument =>
  new InvalidFeaturesDocument({ reason: error.message.replace(/\s*\n\s*/g, " ") })

/**
 * The schema of what stands at `key` inside a value of schema `ast`, or
 * `undefined` when the schema does not declare it: a key only the open rest
 * (`Any`) takes, or anything below one.
 */
const declaredAt = (ast: SchemaAST.AST, key: string | number): SchemaAST.AST | undefined => {
  if (SchemaAST.isArrays(ast)) return typeof key === "number" ? ast.elements[key] ?? ast.rest[0] : undefined
  if (!SchemaAST.isObjects(ast) || typeof key !== "string") return undefined
  const field = ast.propertySignatures.find((signature) => signature.name === key)
  if (field !== undefined) return field.type
  const rest = ast.indexSignatures[0]?.type
  return rest === undefined || SchemaAST.isAny(rest) ? undefined : rest
}

/** Whether the schema declares the position `path` leads to, following it from the document down. */
const isDeclared = (path: JsonPath): boolean => {
  let ast: SchemaAST.AST | undefined = Features.ast
  for (const key of path) {
    ast = declaredAt(ast, key)
    if (ast === undefined) return false
  }
  return true
}

/**
 * What a number in the document becomes. Where the schema declares the
 * position it is a plain number, which the schema judges as one (no declared
 * field is a number, so it is refused); elsewhere it keeps its literal. A
 * kept literal is an object, so it must not stand where the schema would take
 * an object: `{"linux": 5}` is not a document.
 */
const featuresNumber = (literal: string, path: JsonPath): unknown =>
  isDeclared(path) ? Number(literal) : keepLiteral(literal)

/**
 * Decodes the standard output of `<runtime> features`, from one parse of it.
 *
 * A syntax error says where (line and column, in Go's words), and a document
 * nested too deeply to be written out again is refused rather than kept.
 */
export const decodeFeatures = (stdout: string): Result.Result<Features, InvalidFeaturesDocument> => {
  const parsed = parseJson(stdout, featuresNumber)
  if (Result.isFailure(parsed)) {
    const { column, line, message } = parsed.failure
    return Result.fail(new InvalidFeaturesDocument({ reason: `invalid JSON at line ${line}, column ${column}: ${message}` }))
  }
  return Result.mapError(decodeDocument(parsed.success), invalidDocument)
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
