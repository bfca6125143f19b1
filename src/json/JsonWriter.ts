/**
 * JSON written as dockerd writes it and as the CLI prints it: objects keyed
 * by name with their members in byte order (Go's encoding/json sorts a map's
 * keys), pieces rendered once and reused, two-space indented for the CLI or
 * on one line for the API. Pure.
 */
import { compareBytes } from "../names/ByteOrder.ts"

/**
 * An object's members in the order given. A JavaScript object cannot keep
 * one: integer-like keys (`"9"`, `"10"`) always come first, in numeric order,
 * so an object keyed by runtime name would print `9` before `10`.
 */
export class OrderedMembers {
  readonly entries: ReadonlyArray<readonly [string, unknown]>
  constructor(entries: ReadonlyArray<readonly [string, unknown]>) {
    this.entries = entries
  }
}

/** `record`'s members in byte (code unit) order, as dockerd's JSON writes a map keyed by name. */
export const byteOrdered = (record: Readonly<Record<string, unknown>>): OrderedMembers =>
  new OrderedMembers(Object.entries(record).sort(([left], [right]) => compareBytes(left, right)))

/** JSON rendered before, on one line, written as it is: for a large part that stays the same across answers. */
export class RenderedJson {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
}

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> => {
  if (typeof value !== "object" || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return (prototype === Object.prototype || prototype === null) && typeof (value as { toJSON?: unknown }).toJSON !== "function"
}

/** The indentation of the current depth; `undefined` for JSON on one line. */
type Indent = string | undefined

const deeper = (indent: Indent): Indent => indent === undefined ? undefined : `${indent}  `

/** `{`/`[` and `}`/`]` around one item a line, as `JSON.stringify` indents them, or around all on one line. */
const block = (open: string, close: string, items: ReadonlyArray<string>, indent: Indent): string =>
  items.length === 0
    ? open + close
    : indent === undefined
    ? `${open}${items.join(",")}${close}`
    : `${open}\n${items.map((item) => `${indent}  ${item}`).join(",\n")}\n${indent}${close}`

const members = (entries: ReadonlyArray<readonly [string, unknown]>, indent: Indent): string =>
  block(
    "{",
    "}",
    entries.flatMap(([key, member]) => {
      const text = jsonText(member, deeper(indent))
      return text === undefined ? [] : [`${JSON.stringify(key)}:${indent === undefined ? "" : " "}${text}`]
    }),
    indent
  )

/**
 * `JSON.stringify(value, null, 2)` at depth `indent` (or `JSON.stringify(value)`
 * without one), except that plain objects and arrays are walked here, so
 * that `OrderedMembers` inside them print as objects in their own order;
 * `undefined` where JSON has no value.
 */
const jsonText = (value: unknown, indent: Indent): string | undefined => {
  if (value instanceof OrderedMembers) return members(value.entries, indent)
  if (value instanceof RenderedJson) return value.text
  if (Array.isArray(value)) {
    return block("[", "]", value.map((item) => jsonText(item, deeper(indent)) ?? "null"), indent)
  }
  if (isPlainObject(value)) return members(Object.entries(value), indent)
  return indent === undefined ? JSON.stringify(value) : JSON.stringify(value, null, 2)?.replaceAll("\n", `\n${indent}`)
}

/**
 * JSON as the CLI prints it: two-space indented, one document per run, as
 * `JSON.stringify` writes it, with `OrderedMembers` as objects in their order.
 */
export const formatJson = (value: unknown): string => jsonText(value, "") ?? "null"

/** The same document on one line, as dockerd's API answers are written. */
export const compactJson = (value: unknown): string => jsonText(value, undefined) ?? "null"
