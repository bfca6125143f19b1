/**
 * Shim options as containerd's CRI plugin reads them from TOML: a table
 * keyed by the Go field names of the options message (`BinaryName`,
 * `SystemdCgroup`), with TOML's own types — integers stay integers, enums
 * are their numbers (Go decodes an integer into an enum field, not a name),
 * maps are tables. And back: such a table as daemon.json `options`, which
 * dockerd keys by the same Go names.
 *
 * Pure.
 */
import type { FieldDescriptor, MessageDescriptor } from "../options/MessageDescriptor.ts"
import { shimOptionsMessages, type ShimOptions } from "../options/ShimOptions.ts"
import { compareBytes } from "../names/ByteOrder.ts"

/** A TOML value as our documents hold it (smol-toml writes integral numbers as integers). */
export type TomlValue = string | number | boolean | ReadonlyArray<TomlValue> | { readonly [key: string]: TomlValue }

const sortedRecord = <V>(entries: Iterable<readonly [string, V]>): Record<string, V> =>
  Object.fromEntries([...entries].sort(([left], [right]) => compareBytes(left, right)))

const tomlValue = (field: FieldDescriptor, value: unknown): TomlValue => {
  const { kind } = field
  if (typeof kind === "object") return kind.values[value as string]!
  if (kind === "map<string,string>") return sortedRecord(Object.entries(value as Record<string, string>))
  return value as TomlValue
}

/** The fields set in `options`, in the message's descriptor order. */
export const setFields = (options: ShimOptions): ReadonlyArray<{ readonly field: FieldDescriptor; readonly value: unknown }> => {
  const value = options.value as Readonly<Record<string, unknown>>
  return shimOptionsMessages[options._tag].fields.flatMap((field) =>
    value[field.jsonName] === undefined ? [] : [{ field, value: value[field.jsonName] }]
  )
}

/** Every field set in `options` (defaults included: they were set), keyed by Go name, sorted. */
export const goOptionsTable = (
  options: ShimOptions,
  keep: (field: FieldDescriptor) => boolean = () => true
): Record<string, TomlValue> =>
  sortedRecord(setFields(options).filter(({ field }) => keep(field)).map(({ field, value }) => [field.goName, tomlValue(field, value)]))

/**
 * A TOML options table (as JSON values) the way daemon.json is written:
 * enum fields by their value names, which dockerd's users write and the
 * options decoder takes as well as numbers. Anything else is left as it is.
 */
export const withEnumNames = (
  message: MessageDescriptor,
  options: Readonly<Record<string, unknown>>
): Readonly<Record<string, unknown>> =>
  Object.fromEntries(Object.entries(options).map(([key, value]) => {
    const kind = message.fields.find((field) => field.goName === key)?.kind
    if (typeof kind !== "object" || typeof value !== "number") return [key, value]
    const name = Object.entries(kind.values).find(([, number]) => number === value)?.[0]
    return [key, name ?? value]
  }))
