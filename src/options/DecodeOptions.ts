/**
 * Decoding the `options` object of a daemon.json runtime into a message's
 * typed value, driven by the message's descriptor table.
 *
 * The target is the 2023 dockerd (moby v24.0; v25.0 is the same), whose
 * `libcontainerd/shimopts.Generate` uses go-toml v1.9.5 and writes no TOML
 * text: it converts the JSON-decoded map in memory into a go-toml tree
 * (`toml.TreeFromMap`) and unmarshals the tree into the generated Go struct
 * (`Tree.Unmarshal`). What this module keeps from that:
 *
 * - Keys name fields by their Go name (`SystemdCgroup`, `NCProxyAddr`), not by
 *   the `.proto` name: `systemd_cgroup` names no field.
 * - For each field go-toml looks up four spellings in a fixed order: the Go
 *   name, all lower case, all upper case, and the Go name with its first letter
 *   lowered (`SystemdCgroup`, `systemdcgroup`, `SYSTEMDCGROUP`,
 *   `systemdCgroup`). The first present sets the field; the others are never
 *   looked at, so their values, right or wrong, do not matter.
 * - Unknown keys do not fail.
 * - `null` for a field, or inside its value, fails: `TreeFromMap` rejects any
 *   `nil` ("cannot convert type <nil> to Tree").
 *
 * And where it deliberately does better:
 *
 * - Any other spelling of a Go name in ASCII letters of either case
 *   (`sYsTeMdCgRoUp`) sets the field too, which dockerd ignores; but only when
 *   none of the four is present, and of several the first in byte order.
 * - Unknown keys, and spellings another spelling takes precedence over, become
 *   warnings, with a "did you mean" when a key is close to a field's Go name.
 *   A `null` under either is just that warning, where dockerd fails on a `nil`
 *   anywhere in the map.
 * - dockerd rejects every integer, enum and `bytes` option: JSON numbers are
 *   float64, which go-toml will not store in an integer, and a string will not
 *   go into `[]byte`. Here an integral number decodes into an integer field and
 *   an enum takes its number or its name (in any case); a `bytes` field takes a
 *   string whose UTF-8 encoding are the bytes. Numbers are judged exactly as
 *   written (see `NumberLiteral.ts`): `1.0` and `1e2` are integers,
 *   `1.0000000000000001` is not, `9007199254740993` is out of range, and
 *   messages quote them as written (in part, when long). A number too large
 *   for a float64 never gets here from daemon.json, which dockerd, and so
 *   `parseDaemonJson`, refuses whole.
 * - Every problem is reported, not just the first, each naming its key.
 */
import * as Base64 from "effect/encoding/Base64"
import * as Result from "effect/Result"
import { ConfigWarning, configPath, excerpt, Problem } from "../config/Problem.ts"
import type { EnumType, FieldDescriptor, FieldKind, MessageDescriptor, MessageValue } from "./MessageDescriptor.ts"
import { integerRange } from "./MessageDescriptor.ts"
import { exactNumber, integerWithin, isRawJson } from "../json/NumberLiteral.ts"
import { compareBytes } from "../names/ByteOrder.ts"

/** A decoded value, with everything found wrong (`problems`) or suspicious (`warnings`) on the way. */
export interface Decoded<A> {
  readonly value: A
  readonly problems: ReadonlyArray<Problem>
  readonly warnings: ReadonlyArray<ConfigWarning>
}

/** A value as messages show it, bounded: strings quoted, numbers as written, containers by kind. */
const describe = (value: unknown): string => {
  if (typeof value === "string") return excerpt(JSON.stringify(value))
  if (isRawJson(value)) return excerpt(value.rawJSON)
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object" && value !== null) return "an object"
  return String(value)
}

/** ASCII letters lowered, as Go names are ASCII: other letters never match one. */
const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase())

const decodeInteger = (kind: "int32" | "uint32", raw: unknown): Result.Result<number, ReadonlyArray<string>> => {
  const number = exactNumber(raw)
  if (number === undefined) return Result.fail([`expected an integer, got ${describe(raw)}`])
  const { maximum, minimum } = integerRange[kind]
  const integer = integerWithin(number, BigInt(minimum), BigInt(maximum))
  if (integer === "fraction") return Result.fail([`${excerpt(number.text)} is not an integer`])
  if (integer === "out of range") return Result.fail([`${excerpt(number.text)} is out of range for ${kind}`])
  return Result.succeed(Number(integer))
}

const decodeEnum = (kind: EnumType, raw: unknown): Result.Result<string, ReadonlyArray<string>> => {
  const names = Object.keys(kind.values)
  const number = exactNumber(raw)
  const integer = number === undefined
    ? undefined
    : integerWithin(number, BigInt(integerRange.int32.minimum), BigInt(integerRange.int32.maximum))
  const name = typeof raw === "string"
    ? names.find((candidate) => asciiLower(candidate) === asciiLower(raw))
    : names.find((candidate) => typeof integer === "bigint" && BigInt(kind.values[candidate]!) === integer)
  return name !== undefined ? Result.succeed(name) : Result.fail([
    `expected one of ${names.map((n) => JSON.stringify(n)).join(", ")} or ${
      Object.values(kind.values).join(", ")
    }, got ${describe(raw)}`
  ])
}

const decodeStringMap = (raw: unknown): Result.Result<Record<string, string>, ReadonlyArray<string>> => {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || isRawJson(raw)) {
    return Result.fail([`expected an object of strings, got ${describe(raw)}`])
  }
  const entries: Array<readonly [string, string]> = []
  const errors: Array<string> = []
  for (const [key, entry] of Object.entries(raw).sort(([a], [b]) => compareBytes(a, b))) {
    if (typeof entry === "string") entries.push([key, entry])
    else errors.push(`expected a string for ${JSON.stringify(key)}, got ${describe(entry)}`)
  }
  return errors.length > 0 ? Result.fail(errors) : Result.succeed(Object.fromEntries(entries))
}

/** Decodes one option value; failures are messages, several only for a map with several bad entries. */
const decodeValue = (kind: FieldKind, raw: unknown): Result.Result<unknown, ReadonlyArray<string>> => {
  switch (kind) {
    case "bool":
      return typeof raw === "boolean" ? Result.succeed(raw) : Result.fail([`expected a boolean, got ${describe(raw)}`])
    case "string":
      return typeof raw === "string" ? Result.succeed(raw) : Result.fail([`expected a string, got ${describe(raw)}`])
    case "bytes":
      return typeof raw === "string"
        ? Result.succeed(Base64.encode(raw))
        : Result.fail([`expected a string, got ${describe(raw)}`])
    case "int32":
    case "uint32":
      return decodeInteger(kind, raw)
    case "map<string,string>":
      return decodeStringMap(raw)
    default:
      return decodeEnum(kind, raw)
  }
}

/** Edit distance (insertions, deletions, substitutions), for "did you mean" suggestions. */
const levenshtein = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      )
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The field an unknown key most likely meant: its Go name within two edits of
 * the key, ignoring case, `_` and `-` (so `systemd_cgroup`, the `.proto`
 * spelling, points at `SystemdCgroup`). Short keys need to be closer, so that
 * two-letter typos do not suggest arbitrary fields.
 */
const suggest = (fields: ReadonlyArray<FieldDescriptor>, key: string): FieldDescriptor | undefined => {
  const normalized = key.toLowerCase().replace(/[_-]/g, "")
  let best: { readonly field: FieldDescriptor; readonly distance: number } | undefined
  for (const field of fields) {
    // Lengths more than two apart are more than two edits apart: skip the
    // quadratic distance, which a huge key would make expensive.
    if (Math.abs(normalized.length - field.goName.length) > 2) continue
    const distance = levenshtein(normalized, field.goName.toLowerCase())
    if (best === undefined || distance < best.distance) best = { field, distance }
  }
  return best !== undefined && best.distance <= 2 && best.distance * 2 < normalized.length ? best.field : undefined
}

/**
 * The spellings of a Go name go-toml v1 looks up, in the order it tries them
 * (`valueFromTree`'s `keysToTry`): the name, lower case, upper case
 * (`strings.ToTitle`, upper case for ASCII), first letter lowered.
 */
const goTomlSpellings = (goName: string): ReadonlyArray<string> => [
  goName,
  goName.toLowerCase(),
  goName.toUpperCase(),
  goName.charAt(0).toLowerCase() + goName.slice(1)
]

/**
 * Of the keys spelling a field's Go name, in byte order, the one that sets the
 * field: the first of go-toml v1's spellings present, else the first other.
 */
const chooseKey = (field: FieldDescriptor, spellings: ReadonlyArray<string>): string | undefined =>
  goTomlSpellings(field.goName).find((spelling) => spellings.includes(spelling)) ?? spellings[0]

/**
 * Decodes a runtime's daemon.json `options` into `message`'s typed value.
 * Problems and warnings carry the path `runtimes.<runtimeName>.options.<key>`,
 * messages start `runtime <runtimeName>: ` as dockerd's do, and both come out
 * in key order. The value is meaningful only when there are no problems.
 */
export const decodeOptions = <M extends MessageDescriptor>(
  message: M,
  runtimeName: string,
  options: Readonly<Record<string, unknown>>
): Decoded<MessageValue<M>> => {
  const byName = new Map(message.fields.map((field) => [asciiLower(field.goName), field]))
  // JavaScript's default sort (UTF-16 code units) is Go's byte order for the ASCII keys that can name a field.
  const keys = Object.keys(options).sort(compareBytes)
  const fieldOf = (key: string) => byName.get(asciiLower(key))
  const chosen = new Map(
    message.fields.map((field) => [field, chooseKey(field, keys.filter((key) => fieldOf(key) === field))])
  )

  const path = (key: string) => configPath(["runtimes", runtimeName, "options", key])
  const text = (key: string, detail: string) => `runtime ${runtimeName}: option ${JSON.stringify(key)}${detail}`
  const value: Record<string, unknown> = {}
  const problems: Array<Problem> = []
  const warnings: Array<ConfigWarning> = []
  for (const key of keys) {
    const field = fieldOf(key)
    if (field === undefined) {
      const guess = suggest(message.fields, key)
      const hint = guess === undefined ? "" : `; did you mean ${JSON.stringify(guess.goName)}?`
      const detail = ` is not a field of ${message.typeUrl} and is ignored${hint}`
      warnings.push(new ConfigWarning({ path: path(key), message: text(key, detail) }))
      continue
    }
    const winner = chosen.get(field)
    if (winner !== key) {
      // Not decoded: dockerd never looks at a spelling once it has found one.
      warnings.push(
        new ConfigWarning({
          path: path(key),
          message: text(key, ` is ignored: ${JSON.stringify(winner)} also sets ${field.goName} and takes precedence`)
        })
      )
      continue
    }
    const decoded = decodeValue(field.kind, options[key])
    if (Result.isFailure(decoded)) {
      for (const detail of decoded.failure) {
        problems.push(new Problem({ path: path(key), message: text(key, `: ${detail}`) }))
      }
    } else {
      value[field.jsonName] = decoded.success
    }
  }
  return { value: value as MessageValue<M>, problems, warnings }
}
