/**
 * Reading a parsed TOML file as an import needs it: tables and values at
 * key paths, each wrong type a problem at its path (written as TOML keys
 * are: `plugins."io.containerd.grpc.v1.cri".containerd`). Integers are
 * parsed as bigints, so they are told apart from floats.
 *
 * Pure.
 */
import { Problem } from "../config/Problem.ts"

export type TomlTable = { readonly [key: string]: unknown }

const bareKey = /^[A-Za-z0-9_-]+$/

/** A key path as TOML writes it, quoting keys that are not bare. */
export const tomlPath = (segments: ReadonlyArray<string>): string =>
  segments.map((key) => bareKey.test(key) ? key : JSON.stringify(key)).join(".")

/** smol-toml's dates and times are `Date`s. */
export const isTable = (value: unknown): value is TomlTable =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)

/** A value as a message names it. */
export const describeToml = (value: unknown): string =>
  typeof value === "bigint" ? "an integer"
  : typeof value === "number" ? "a float"
  : typeof value === "string" ? "a string"
  : typeof value === "boolean" ? "a boolean"
  : Array.isArray(value) ? "an array"
  : isTable(value) ? "a table"
  : "a date or time"

/** Collects the problems of one file's reading. */
export class TomlReader {
  readonly problems: Array<Problem> = []

  private mismatch(path: ReadonlyArray<string>, expected: string, value: unknown): undefined {
    this.problems.push(new Problem({ path: tomlPath(path), message: `expected ${expected}, got ${describeToml(value)}` }))
    return undefined
  }

  /** The table at `path` below `root`, `undefined` when absent (or not a table: a problem). */
  table(root: TomlTable, path: ReadonlyArray<string>): TomlTable | undefined {
    let current: unknown = root
    for (const [index, key] of path.entries()) {
      if (!isTable(current)) return this.mismatch(path.slice(0, index), "a table", current)
      if (!Object.hasOwn(current, key)) return undefined
      current = current[key]
    }
    return isTable(current) ? current : this.mismatch(path, "a table", current)
  }

  string(table: TomlTable, key: string, at: ReadonlyArray<string>): string | undefined {
    const value = table[key]
    if (value === undefined || typeof value === "string") return value
    return this.mismatch([...at, key], "a string", value)
  }

  boolean(table: TomlTable, key: string, at: ReadonlyArray<string>): boolean | undefined {
    const value = table[key]
    if (value === undefined || typeof value === "boolean") return value
    return this.mismatch([...at, key], "a boolean", value)
  }

  strings(table: TomlTable, key: string, at: ReadonlyArray<string>): ReadonlyArray<string> | undefined {
    const value = table[key]
    if (value === undefined) return undefined
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as ReadonlyArray<string>
    return this.mismatch([...at, key], "an array of strings", value)
  }
}

/** Whether a value is what a setting left at its default looks like in a dump: `""`, `false`, `0`, empty. */
export const isEmptySetting = (value: unknown): boolean =>
  value === "" || value === false || value === 0n || value === 0 ||
  (Array.isArray(value) && value.length === 0) || (isTable(value) && Object.keys(value).length === 0)

/**
 * A TOML value as daemon.json JSON: integers become numbers (exact up to
 * 2^53, beyond which the options decoder refuses them anyway), tables
 * objects; `undefined` for dates and times, which JSON has no type for.
 */
export const jsonOfToml = (value: unknown): unknown => {
  if (typeof value === "bigint") return Number(value)
  if (Array.isArray(value)) {
    const items = value.map(jsonOfToml)
    return items.includes(undefined) ? undefined : items
  }
  if (isTable(value)) {
    const entries = Object.entries(value).map(([key, item]) => [key, jsonOfToml(item)] as const)
    return entries.some(([, item]) => item === undefined) ? undefined : Object.fromEntries(entries)
  }
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : undefined
}
