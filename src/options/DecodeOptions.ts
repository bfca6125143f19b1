/**
 * Decoding the `options` object of a daemon.json runtime into a message's
 * typed value, driven by the message's descriptor table.
 *
 * How dockerd reads these options (moby `libcontainerd/shimopts.Generate`): it
 * re-encodes the JSON object as TOML and decodes that into the generated Go
 * struct with go-toml. Consequences this module keeps:
 *
 * - Keys are matched against the Go field names (`SystemdCgroup`,
 *   `NCProxyAddr`), not the `.proto` names: `systemd_cgroup` is ignored. Since
 *   moby moved to go-toml v2 (2026) the match is case-insensitive, so
 *   `systemdcgroup` and `SYSTEMDCGROUP` work too. Before that (go-toml v1.9.5,
 *   the 2023 dockerd this project re-creates) only four spellings worked: the
 *   Go name, all lower case, all upper case, and the Go name with a lower-case
 *   first letter (`systemdCgroup`); those are all accepted here as well.
 * - When several keys name the same field, the value of the last one in
 *   byte-wise key order wins (go-toml sorts a map's keys when encoding, and a
 *   later assignment overwrites an earlier one).
 * - Unknown keys are ignored, and `null` values are dropped before decoding.
 *
 * And where it does better than dockerd:
 *
 * - dockerd rejects every integer, enum and `bytes` option: the JSON number
 *   becomes a TOML float, which go-toml will not store in an integer, and a
 *   string will not go into `[]byte`. Here an integral number decodes into an
 *   integer field (range-checked), an enum takes its name (any case) or number,
 *   and a `bytes` field takes a string whose UTF-8 encoding are the bytes.
 * - Every problem is reported, not just the first, each naming its key.
 * - Unknown keys, and keys whose value another key overrides, become warnings,
 *   with a "did you mean" when the key is close to a field's Go name.
 */
import * as Base64 from "effect/encoding/Base64"
import * as Result from "effect/Result"
import { ConfigWarning, configPath, Problem } from "../config/Problem.ts"
import type { FieldDescriptor, FieldKind, MessageDescriptor, MessageValue } from "./MessageDescriptor.ts"
import { integerRange } from "./MessageDescriptor.ts"

/** A decoded value, with everything found wrong (`problems`) or suspicious (`warnings`) on the way. */
export interface Decoded<A> {
  readonly value: A
  readonly problems: ReadonlyArray<Problem>
  readonly warnings: ReadonlyArray<ConfigWarning>
}

const describe = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object" && value !== null) return "an object"
  return String(value)
}

const decodeInteger = (kind: "int32" | "uint32", raw: unknown): Result.Result<number, ReadonlyArray<string>> => {
  if (typeof raw !== "number") return Result.fail([`expected an integer, got ${describe(raw)}`])
  if (!Number.isInteger(raw)) return Result.fail([`${raw} is not an integer`])
  const { maximum, minimum } = integerRange[kind]
  return raw < minimum || raw > maximum ? Result.fail([`${raw} is out of range for ${kind}`]) : Result.succeed(raw)
}

const decodeStringMap = (raw: unknown): Result.Result<Record<string, string>, ReadonlyArray<string>> => {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return Result.fail([`expected an object of strings, got ${describe(raw)}`])
  }
  const entries: Array<readonly [string, string]> = []
  const errors: Array<string> = []
  for (const [key, entry] of Object.entries(raw).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (typeof entry === "string") entries.push([key, entry])
    else if (entry !== null) errors.push(`expected a string for ${JSON.stringify(key)}, got ${describe(entry)}`)
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
    default: {
      const names = Object.keys(kind.values)
      const name = typeof raw === "string"
        ? names.find((candidate) => candidate.toLowerCase() === raw.toLowerCase())
        : names.find((candidate) => kind.values[candidate] === raw)
      return name !== undefined ? Result.succeed(name) : Result.fail([
        `expected one of ${names.map((n) => JSON.stringify(n)).join(", ")} or ${
          Object.values(kind.values).join(", ")
        }, got ${describe(raw)}`
      ])
    }
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
    const distance = levenshtein(normalized, field.goName.toLowerCase())
    if (best === undefined || distance < best.distance) best = { field, distance }
  }
  return best !== undefined && best.distance <= 2 && best.distance * 2 < normalized.length ? best.field : undefined
}

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
  const byName = new Map(message.fields.map((field) => [field.goName.toLowerCase(), field]))
  // JavaScript's default sort (UTF-16 code units) is Go's byte order for the ASCII keys that can name a field.
  const keys = Object.keys(options).sort()
  const winners = new Map<FieldDescriptor, string>()
  for (const key of keys) {
    const field = byName.get(key.toLowerCase())
    if (field !== undefined && options[key] !== null) winners.set(field, key)
  }

  const path = (key: string) => configPath(["runtimes", runtimeName, "options", key])
  const text = (key: string, detail: string) => `runtime ${runtimeName}: option ${JSON.stringify(key)}${detail}`
  const value: Record<string, unknown> = {}
  const problems: Array<Problem> = []
  const warnings: Array<ConfigWarning> = []
  for (const key of keys) {
    const field = byName.get(key.toLowerCase())
    if (field === undefined) {
      const guess = suggest(message.fields, key)
      const hint = guess === undefined ? "" : `; did you mean ${JSON.stringify(guess.goName)}?`
      const detail = ` is not a field of ${message.typeUrl} and is ignored${hint}`
      warnings.push(new ConfigWarning({ path: path(key), message: text(key, detail) }))
      continue
    }
    const raw = options[key]
    if (raw === null) continue
    const winner = winners.get(field)
    if (winner !== key) {
      warnings.push(
        new ConfigWarning({
          path: path(key),
          message: text(key, ` is ignored: ${JSON.stringify(winner)} also sets ${field.goName} and takes precedence`)
        })
      )
    }
    // Every key is decoded, overridden or not, as dockerd decodes them all.
    const decoded = decodeValue(field.kind, raw)
    if (Result.isFailure(decoded)) {
      for (const detail of decoded.failure) {
        problems.push(new Problem({ path: path(key), message: text(key, `: ${detail}`) }))
      }
    } else if (winner === key) {
      value[field.jsonName] = decoded.success
    }
  }
  return { value: value as MessageValue<M>, problems, warnings }
}
