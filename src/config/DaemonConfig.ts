/**
 * The runtime-related keys of daemon.json, decoded with Schema.
 *
 * Only `runtimes`, `default-runtime`, `exec-opts`, `data-root` and `exec-root`
 * are read; every other key belongs to another part of dockerd and is ignored,
 * as are unknown keys inside a runtime (dockerd does not check those either),
 * except that a number too large for a float64 anywhere stops dockerd, and so
 * fails here too (see `undecodableNumber`). A type mismatch anywhere is reported together with every other one, each at
 * its daemon.json path, so the file can be fixed in one pass.
 *
 * Stricter than dockerd's Go decoder in two corners, both most likely
 * mistakes: `null` is a mismatch rather than "unset", and runtime fields must
 * be spelled as documented (Go would also take `Path` for `path`).
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaParser from "effect/SchemaParser"
import * as SchemaTransformation from "effect/SchemaTransformation"
import { type JsonPath, type JsonSyntaxError, parseJson } from "../json/JsonSyntax.ts"
import { keepLiteral, overflowsFloat64 } from "../json/NumberLiteral.ts"
import { ConfigSchemaError, ConfigSyntaxError } from "./Errors.ts"
import { configPath, excerpt, Problem } from "./Problem.ts"
import { compareBytes } from "../names/ByteOrder.ts"

/** dockerd's `--data-root` default on Linux. */
export const defaultDataRoot = "/var/lib/docker"

/** dockerd's `--exec-root` default on Linux. */
export const defaultExecRoot = "/var/run/docker"

// `expected` names the JSON type in a mismatch: "expected <expected>, got <value>".
const anObject = { expected: "an object" }
const JsonString = Schema.String.annotate({ expected: "a string" })
const JsonStrings = Schema.Array(JsonString).annotate({ expected: "an array of strings" })

/**
 * One entry of daemon.json's `runtimes`, as written. Numbers in `options`, at
 * any depth, are `JSON.rawJSON` values holding the literal as written (see
 * `json/NumberLiteral.ts`), so the options decoder can judge them exactly
 * and `JSON.stringify` writes them back unchanged; options built in code may
 * hold plain numbers instead.
 */
export const RuntimeConfig = Schema.Struct({
  path: Schema.optionalKey(JsonString),
  runtimeArgs: Schema.optionalKey(JsonStrings),
  runtimeType: Schema.optionalKey(JsonString),
  options: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown).annotate(anObject))
}).annotate(anObject)
export type RuntimeConfig = typeof RuntimeConfig.Type

/**
 * The runtime keys of daemon.json, as written. Fields are declared in key
 * order, which is the order mismatches are reported in.
 */
export const DaemonJson = Schema.Struct({
  "data-root": Schema.optionalKey(JsonString),
  "default-runtime": Schema.optionalKey(JsonString),
  "exec-opts": Schema.optionalKey(JsonStrings),
  "exec-root": Schema.optionalKey(JsonString),
  runtimes: Schema.optionalKey(Schema.Record(Schema.String, RuntimeConfig).annotate(anObject))
}).annotate({ expected: "a JSON object at the top level" })
export type DaemonJson = typeof DaemonJson.Type

/** A daemon.json key this module reads. */
export type DaemonJsonKey = keyof typeof DaemonJson.fields

const daemonJsonKeys = Object.keys(DaemonJson.fields) as ReadonlyArray<DaemonJsonKey>

/** The runtime settings with dockerd's defaults filled in; `defaultRuntime` is `""` when unset. */
export const DaemonConfig = Schema.Struct({
  runtimes: Schema.Record(Schema.String, RuntimeConfig),
  defaultRuntime: Schema.String,
  execOpts: Schema.Array(Schema.String),
  dataRoot: Schema.String,
  execRoot: Schema.String
})
export type DaemonConfig = typeof DaemonConfig.Type

/**
 * daemon.json's runtime keys to a `DaemonConfig`. An empty `data-root` or
 * `exec-root` means the default, as it does for dockerd (whose merge treats an
 * empty string as unset).
 */
export const DaemonConfigFromJson = DaemonJson.pipe(Schema.decodeTo(
  DaemonConfig,
  SchemaTransformation.transform({
    decode: (json: DaemonJson): DaemonConfig => ({
      runtimes: json.runtimes ?? {},
      defaultRuntime: json["default-runtime"] ?? "",
      execOpts: json["exec-opts"] ?? [],
      dataRoot: json["data-root"] || defaultDataRoot,
      execRoot: json["exec-root"] || defaultExecRoot
    }),
    encode: (config: DaemonConfig): DaemonJson => ({
      "data-root": config.dataRoot,
      "default-runtime": config.defaultRuntime,
      "exec-opts": config.execOpts,
      "exec-root": config.execRoot,
      runtimes: config.runtimes
    })
  })
))

/**
 * The configuration of a daemon.json that sets none of the runtime keys: what
 * `DaemonConfigFromJson` decodes `{}` to, written out so that loading this
 * module runs no decode.
 */
export const emptyDaemonConfig: DaemonConfig = {
  runtimes: {},
  defaultRuntime: "",
  execOpts: [],
  dataRoot: defaultDataRoot,
  execRoot: defaultExecRoot
}

/**
 * A parsed daemon.json.
 *
 * `setKeys` lists the runtime keys the file writes, whatever their value: a
 * dockerd flag may not set the same thing (see `applyFlags`), and `config`
 * cannot tell, since a key written with its default value and an absent key
 * decode alike.
 */
export interface ParsedDaemonJson {
  readonly config: DaemonConfig
  readonly setKeys: ReadonlySet<DaemonJsonKey>
}

/**
 * A JSON value as a mismatch message shows it: scalars verbatim and bounded
 * (a number as written, see `daemonJsonNumber`), containers by kind.
 */
const describeJson = (value: unknown): string => {
  if (typeof value === "symbol") return value.description ?? ""
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object" && value !== null) return "an object"
  return excerpt(JSON.stringify(value))
}

const describeMismatch: SchemaIssue.LeafHook = (issue) =>
  issue._tag === "InvalidType" && SchemaIssue.hasInput(issue)
    ? `expected ${String(issue.ast.annotations?.["expected"])}, got ${describeJson(issue.input)}`
    : SchemaIssue.defaultLeafHook(issue)

const flattenIssue = SchemaIssue.makeFormatterStandardSchemaV1({ leafHook: describeMismatch })

type IssuePath = ReadonlyArray<PropertyKey>

/** Where a mismatch's top-level key stands in the schema; -1 for the top level itself. */
const topLevelRank = (path: IssuePath): number => daemonJsonKeys.indexOf(path[0] as DaemonJsonKey)

/**
 * The order mismatches are reported in, whatever the file's key order: the
 * schema's top-level keys in its order, then runtimes by name in byte order,
 * as Go sorts names (the schema visits a record's keys in the file's order).
 * Within a runtime the schema's field order stands: the sort is stable.
 */
const byReportOrder = (left: IssuePath, right: IssuePath): number => {
  const topLevel = topLevelRank(left) - topLevelRank(right)
  if (topLevel !== 0 || left[0] !== "runtimes") return topLevel
  return compareBytes(String(left[1] ?? ""), String(right[1] ?? ""))
}

const toProblems = (issue: SchemaIssue.Issue): Array<Problem> =>
  flattenIssue(issue).issues
    .map(({ message, path = [] }) => ({
      message,
      path: path.map((segment) => typeof segment === "object" ? segment.key : segment)
    }))
    .sort((left, right) => byReportOrder(left.path, right.path))
    .map(({ message, path }) => new Problem({ path: configPath(path), message }))

// `reportInput` puts the offending value in the message; `errors: "all"` reports every mismatch.
const decodeDaemonJson = SchemaParser.decodeUnknownResult(DaemonConfigFromJson, {
  errors: "all",
  reportInput: true
})

/** Whether a value stands inside a runtime's `options` object (not the `options` value itself). */
const isInRuntimeOptions = (path: JsonPath): boolean =>
  path.length > 3 && path[0] === "runtimes" && typeof path[1] === "string" && path[2] === "options"

/**
 * What a number in daemon.json becomes. Inside a runtime's `options` it is
 * kept as its literal, for the options decoder to judge exactly. Anywhere
 * else it is a symbol described by its text (bounded): every schema there
 * rejects a symbol as it rejects a number (a `RawJson` is an object, which
 * `Struct` and `Record` would take), and the mismatch message can quote the
 * number as written: `1e-400`, not `0`.
 */
const daemonJsonNumber = (literal: string, path: JsonPath): unknown =>
  isInRuntimeOptions(path) ? keepLiteral(literal) : Symbol(excerpt(literal))

/**
 * The first number dockerd cannot decode, as a problem at its path. dockerd
 * first decodes the whole file into a `map[string]interface{}` (to find keys
 * that clash with flags), where every number below the top-level object
 * becomes a float64, whatever key it is under; Go's `encoding/json` fails on
 * a number too large for one, with this message, and dockerd refuses to
 * start. It names only the first such number, and so does this.
 */
const undecodableNumber = (literal: string, path: JsonPath): Problem | undefined =>
  typeof path[0] === "string" && overflowsFloat64(literal)
    ? new Problem({
      path: configPath(path),
      message: `json: cannot unmarshal number ${excerpt(literal)} into Go value of type float64`
    })
    : undefined

/**
 * daemon.json's text as a value for the schema, in one pass: numbers made by
 * `daemonJsonNumber`, the first one dockerd cannot decode, or where the text
 * is not JSON.
 */
const parseText = (
  body: string
): Result.Result<{ readonly json: unknown; readonly undecodable: Problem | undefined }, JsonSyntaxError> => {
  let undecodable: Problem | undefined
  return Result.map(
    parseJson(body, (literal, path) => {
      undecodable ??= undecodableNumber(literal, path)
      return daemonJsonNumber(literal, path)
    }),
    (json) => ({ json, undecodable })
  )
}

/**
 * Parses the text of daemon.json; `file` names it in errors.
 *
 * Like dockerd, a leading byte order mark is skipped and a blank file is an
 * empty configuration. Invalid JSON fails with where it broke; then a number
 * dockerd cannot decode fails, naming it (see `undecodableNumber`); then
 * values of the wrong type fail, with all of them.
 */
export const parseDaemonJson = (
  text: string,
  file: string
): Result.Result<ParsedDaemonJson, ConfigSyntaxError | ConfigSchemaError> => {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text
  if (body.trim() === "") return Result.succeed({ config: emptyDaemonConfig, setKeys: new Set() })
  const parsed = parseText(body)
  if (Result.isFailure(parsed)) {
    const { column, line, message } = parsed.failure
    return Result.fail(new ConfigSyntaxError({ file, line, column, detail: message }))
  }
  const { json, undecodable } = parsed.success
  if (undecodable !== undefined) return Result.fail(new ConfigSchemaError({ file, problems: [undecodable] }))
  const setKeys = new Set(
    typeof json === "object" && json !== null ? daemonJsonKeys.filter((key) => Object.hasOwn(json, key)) : []
  )
  return decodeDaemonJson(json).pipe(
    Result.map((config) => ({ config, setKeys })),
    Result.mapError((issue) => new ConfigSchemaError({ file, problems: toProblems(issue) }))
  )
}
