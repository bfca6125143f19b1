/**
 * Shim options as containerd receives them: a `google.protobuf.Any` holding
 * the binary encoding of one of the three option messages.
 *
 * The typed options (`options/ShimOptions.ts`) already render the proto3 JSON
 * mapping, and the generated messages (the `_pb.ts` files under `api/`) know
 * the wire; the bridge between them is that JSON mapping, so no field is
 * encoded by hand and both directions are driven by the same `.proto`. The
 * type URL is the bare full name (`containerd.runc.v1.Options`), which is
 * what containerd's typeurl registry has these messages under — not the
 * `type.googleapis.com/` form `anyPack` would write.
 *
 * Which of these fields a given containerd release ignores is in
 * `ContainerdVersion.ts`.
 */
import type { DescMessage, JsonValue } from "@bufbuild/protobuf"
import { create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf"
import type { Any } from "@bufbuild/protobuf/wkt"
import { AnySchema } from "@bufbuild/protobuf/wkt"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { ShimOptions, shimOptionsMessages, toProtoJson } from "../options/ShimOptions.ts"
import { OptionsSchema as RuncOptionsSchema } from "./api/containerd/runc/options/oci_pb.ts"
import { OptionsSchema as RunhcsOptionsSchema } from "./api/containerd/runhcs/options/runhcs_pb.ts"
import { OptionsSchema as RuntimeOptionsSchema } from "./api/containerd/runtimeoptions/v1/api_pb.ts"

type ShimOptionsTag = ShimOptions["_tag"]

/** The generated message of each kind of shim options. */
export const shimOptionsWireMessages: { readonly [Tag in ShimOptionsTag]: DescMessage } = {
  RuncOptions: RuncOptionsSchema,
  RunhcsOptions: RunhcsOptionsSchema,
  RuntimeOptions: RuntimeOptionsSchema
}

const tags = Object.keys(shimOptionsMessages) as ReadonlyArray<ShimOptionsTag>

/**
 * The shim options as containerd's `Any`. The options are a decoded
 * `ShimOptions` value, so every field already fits its protobuf type; a value
 * built around the schema that does not is a defect, and throws.
 */
export const shimOptionsAny = (options: ShimOptions): Any => {
  const schema = shimOptionsWireMessages[options._tag]
  const message = fromJson(schema, toProtoJson(options).value as JsonValue)
  return create(AnySchema, { typeUrl: options.typeUrl, value: toBinary(schema, message) })
}

/** The type URL names no shim options message this library knows. */
export const UnknownTypeReason = Schema.TaggedStruct("UnknownType", {
  /** The type URLs that would have been understood. */
  known: Schema.Array(Schema.String)
})

/** The bytes are not an encoding of the message the type URL names. */
export const UndecodableReason = Schema.TaggedStruct("Undecodable", {
  detail: Schema.String
})

/** The message decoded, but holds a value the typed options cannot, such as an enum number with no name. */
export const UnrepresentableReason = Schema.TaggedStruct("Unrepresentable", {
  detail: Schema.String
})

export const ShimOptionsWireErrorReason = Schema.Union([UnknownTypeReason, UndecodableReason, UnrepresentableReason])
export type ShimOptionsWireErrorReason = typeof ShimOptionsWireErrorReason.Type

export class ShimOptionsWireError extends Schema.TaggedError<ShimOptionsWireError>()("ShimOptionsWireError", {
  /** The type URL of the `Any`, as it came. */
  typeUrl: Schema.String,
  reason: ShimOptionsWireErrorReason
}) {
  override get message(): string {
    const reason = this.reason
    switch (reason._tag) {
      case "UnknownType":
        return `shim options of unknown type ${JSON.stringify(this.typeUrl)} (known: ${reason.known.join(", ")})`
      case "Undecodable":
        return `shim options ${this.typeUrl} cannot be decoded: ${reason.detail}`
      case "Unrepresentable":
        return `shim options ${this.typeUrl} hold a value the typed options cannot: ${reason.detail}`
    }
  }
}

/**
 * The message a type URL names. Like protobuf's own resolution, only the part
 * after the last `/` counts, so `type.googleapis.com/containerd.runc.v1.Options`
 * is read as well as the bare name containerd writes.
 */
const tagOfTypeUrl = (typeUrl: string): Option.Option<ShimOptionsTag> => {
  const fullName = typeUrl.slice(typeUrl.lastIndexOf("/") + 1)
  return Option.fromNullishOr(tags.find((tag) => shimOptionsMessages[tag].typeUrl === fullName))
}

const failure = (typeUrl: string, reason: ShimOptionsWireErrorReason) =>
  Result.fail(new ShimOptionsWireError({ typeUrl, reason }))

const decodeMessage = (schema: DescMessage, bytes: Uint8Array): Result.Result<JsonValue, string> => {
  try {
    return Result.succeed(toJson(schema, fromBinary(schema, bytes, { readUnknownFields: false })))
  } catch (error) {
    return Result.fail(error instanceof Error ? error.message : String(error))
  }
}

const decodeShimOptions = Schema.decodeUnknownResult(ShimOptions)

/**
 * Reads shim options back from containerd's `Any`. The value comes back in
 * its canonical form, the one `toProtoJson` renders: fields at their proto3
 * default are left out (an explicit-presence field keeps its `false`), and
 * fields the message does not declare (such as `criu_path` from a containerd
 * 1.x client) are dropped, as containerd itself would.
 */
export const shimOptionsFromAny = (
  any: Pick<Any, "typeUrl" | "value">
): Result.Result<ShimOptions, ShimOptionsWireError> => {
  const tag = tagOfTypeUrl(any.typeUrl)
  if (Option.isNone(tag)) {
    return failure(any.typeUrl, { _tag: "UnknownType", known: tags.map((tag) => shimOptionsMessages[tag].typeUrl) })
  }
  const decoded = decodeMessage(shimOptionsWireMessages[tag.value], any.value)
  if (Result.isFailure(decoded)) return failure(any.typeUrl, { _tag: "Undecodable", detail: decoded.failure })
  const options = decodeShimOptions({
    _tag: tag.value,
    typeUrl: shimOptionsMessages[tag.value].typeUrl,
    value: decoded.success
  })
  return Result.isFailure(options)
    ? failure(any.typeUrl, { _tag: "Unrepresentable", detail: options.failure.message })
    : Result.succeed(options.success)
}
