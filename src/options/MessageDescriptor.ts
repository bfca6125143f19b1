/**
 * Descriptions of the protobuf messages containerd accepts as shim options.
 *
 * A shim's options travel to containerd as a protobuf `Any`, so the typed
 * options must be a faithful image of the `.proto` message: every field keeps
 * its number, its wire type and all three of its names. The descriptor table of
 * a message is the single source of truth; the typed value's `Schema`, the
 * daemon.json decoder and the proto3 JSON rendering are all driven by it, and a
 * binary encoder can walk the same table.
 */
import * as Schema from "effect/Schema"
import { compareBytes } from "../names/ByteOrder.ts"

/** A proto3 enum: its short name, and its value names with their numbers. */
export interface EnumType {
  readonly _tag: "enum"
  readonly name: string
  readonly values: Readonly<Record<string, number>>
}

/**
 * The protobuf type of a field, limited to the types the shim option messages
 * use. Enum values are held by name and `bytes` as standard base64 text, so a
 * typed value stays plain, JSON-serialisable data.
 */
export type FieldKind = "bool" | "string" | "int32" | "uint32" | "bytes" | "map<string,string>" | EnumType

/** The integer kinds, with the range a protobuf varint of that type can hold. */
export const integerRange = {
  int32: { minimum: -2147483648, maximum: 2147483647 },
  uint32: { minimum: 0, maximum: 4294967295 }
} as const

/** One field of a message, under every name the ecosystem knows it by. */
export interface FieldDescriptor {
  /** The field number on the wire. */
  readonly number: number
  /** The name in the `.proto` file. */
  readonly protoName: string
  /** The proto3 JSON name protoc derives (`json_name`); keys the typed value. */
  readonly jsonName: string
  /** The struct field protoc-gen-go generates; what dockerd matches keys against. */
  readonly goName: string
  readonly kind: FieldKind
  /**
   * A proto3 `optional` field: whether it is set is part of its value, so an
   * explicit `false` or `0` is written out rather than dropped as a default.
   */
  readonly explicitPresence?: true
}

/** A message: the type URL containerd registers it under, and its fields. */
export interface MessageDescriptor {
  readonly typeUrl: string
  readonly fields: ReadonlyArray<FieldDescriptor>
}

type KindSchema<K extends FieldKind> = K extends "bool" ? Schema.Boolean
  : K extends "string" | "bytes" ? Schema.String
  : K extends "int32" | "uint32" ? Schema.Number
  : K extends "map<string,string>" ? Schema.$Record<Schema.String, Schema.String>
  : K extends EnumType ? Schema.Literals<ReadonlyArray<Extract<keyof K["values"], string>>>
  : never

/** The `Schema` of a message's typed value: every field optional, keyed by its JSON name. */
export type MessageSchema<M extends MessageDescriptor> = Schema.Struct<
  { readonly [F in M["fields"][number] as F["jsonName"]]: Schema.optionalKey<KindSchema<F["kind"]>> }
>

/** The typed value of a message. */
export type MessageValue<M extends MessageDescriptor> = MessageSchema<M>["Type"]

const kindSchema = (kind: FieldKind): Schema.Top => {
  switch (kind) {
    case "bool":
      return Schema.Boolean
    case "string":
      return Schema.String
    case "bytes":
      return Schema.String.check(Schema.isBase64())
    case "int32":
    case "uint32":
      return Schema.Number.check(Schema.isInt(), Schema.isBetween(integerRange[kind]))
    case "map<string,string>":
      return Schema.Record(Schema.String, Schema.String)
    default:
      return Schema.Literals(Object.keys(kind.values))
  }
}

/** Derives the typed value's `Schema` from a descriptor table, so the two cannot disagree. */
export const messageSchema = <M extends MessageDescriptor>(message: M): MessageSchema<M> =>
  Schema.Struct(
    Object.fromEntries(message.fields.map((field) => [field.jsonName, Schema.optionalKey(kindSchema(field.kind))]))
  ) as unknown as MessageSchema<M>

/** Whether a value is its field's proto3 default, which proto3 leaves off the wire and out of JSON. */
const isDefault = (kind: FieldKind, value: unknown): boolean => {
  switch (kind) {
    case "bool":
      return value === false
    case "string":
    case "bytes":
      return value === ""
    case "int32":
    case "uint32":
      return value === 0
    case "map<string,string>":
      return Object.keys(value as object).length === 0
    default:
      return kind.values[value as string] === 0
  }
}

const sortedByKey = (record: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareBytes(a, b)))

/**
 * Renders a typed value in the proto3 JSON mapping: JSON names, fields in
 * field-number order, defaults left out (unless the field tracks presence),
 * map keys sorted. Enums are already names and bytes already base64, as the
 * mapping wants them, so the output is deterministic for equal values.
 */
export const toProtoJsonValue = (
  message: MessageDescriptor,
  value: Readonly<Record<string, unknown>>
): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const field of [...message.fields].sort((a, b) => a.number - b.number)) {
    const fieldValue = value[field.jsonName]
    if (fieldValue === undefined) continue
    if (field.explicitPresence !== true && isDefault(field.kind, fieldValue)) continue
    out[field.jsonName] = field.kind === "map<string,string>"
      ? sortedByKey(fieldValue as Readonly<Record<string, string>>)
      : fieldValue
  }
  return out
}
