/**
 * The options dockerd hands containerd for a runtime's shim: one of three
 * protobuf messages, picked by the shim (`runtimeType`), as plain data that can
 * be encoded, decoded, compared and rendered.
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { ConfigWarning, Problem } from "../config/Problem.ts"
import { runcShimName, runhcsShimName } from "../names/RuntimeName.ts"
import { decodeOptions } from "./DecodeOptions.ts"
import type { MessageDescriptor, MessageValue } from "./MessageDescriptor.ts"
import { toProtoJsonValue } from "./MessageDescriptor.ts"
import { RuncOptions, RuncOptionsMessage } from "./RuncOptions.ts"
import { RunhcsOptions, RunhcsOptionsMessage } from "./RunhcsOptions.ts"
import { RuntimeOptions, RuntimeOptionsMessage } from "./RuntimeOptions.ts"

/** Options for containerd's runc shim. */
export const RuncShimOptions = Schema.TaggedStruct("RuncOptions", {
  typeUrl: Schema.Literal(RuncOptionsMessage.typeUrl),
  value: RuncOptions
})
export type RuncShimOptions = typeof RuncShimOptions.Type

/** Options for hcsshim's Windows shim. */
export const RunhcsShimOptions = Schema.TaggedStruct("RunhcsOptions", {
  typeUrl: Schema.Literal(RunhcsOptionsMessage.typeUrl),
  value: RunhcsOptions
})
export type RunhcsShimOptions = typeof RunhcsShimOptions.Type

/** Options for any other shim. */
export const RuntimeShimOptions = Schema.TaggedStruct("RuntimeOptions", {
  typeUrl: Schema.Literal(RuntimeOptionsMessage.typeUrl),
  value: RuntimeOptions
})
export type RuntimeShimOptions = typeof RuntimeShimOptions.Type

export const ShimOptions = Schema.Union([RuncShimOptions, RunhcsShimOptions, RuntimeShimOptions]).pipe(
  Schema.toTaggedUnion("_tag")
)
export type ShimOptions = typeof ShimOptions.Type

/** The descriptor of each member's message, for code that walks the fields. */
export const shimOptionsMessages: { readonly [Tag in ShimOptions["_tag"]]: MessageDescriptor } = {
  RuncOptions: RuncOptionsMessage,
  RunhcsOptions: RunhcsOptionsMessage,
  RuntimeOptions: RuntimeOptionsMessage
}

/** Shim options generated from daemon.json, with the warnings worth showing the administrator. */
export interface GeneratedShimOptions {
  readonly options: ShimOptions
  readonly warnings: ReadonlyArray<ConfigWarning>
}

const generate = <const Tag extends ShimOptions["_tag"], const M extends MessageDescriptor>(
  tag: Tag,
  message: M,
  runtimeName: string,
  options: Readonly<Record<string, unknown>>
): Result.Result<
  {
    readonly options: { readonly _tag: Tag; readonly typeUrl: M["typeUrl"]; readonly value: MessageValue<M> }
    readonly warnings: ReadonlyArray<ConfigWarning>
  },
  ReadonlyArray<Problem>
> => {
  const { problems, value, warnings } = decodeOptions(message, runtimeName, options)
  return problems.length > 0
    ? Result.fail(problems)
    : Result.succeed({ options: { _tag: tag, typeUrl: message.typeUrl, value }, warnings })
}

/**
 * Turns the `options` of a daemon.json runtime with a `runtimeType` into the
 * shim options containerd expects, as dockerd's `shimopts.Generate` does: the
 * runc shim gets runc's options, the runhcs shim runhcs's, and every other shim
 * containerd's generic `runtimeoptions.v1.Options`. Keys, values and their
 * problems are handled as described in `DecodeOptions.ts`; all problems are
 * returned together.
 *
 * dockerd skips this for an empty `options` object and sends no options at all;
 * that choice is the caller's.
 */
export const generateShimOptions = (
  runtimeName: string,
  runtimeType: string,
  options: Readonly<Record<string, unknown>>
): Result.Result<GeneratedShimOptions, ReadonlyArray<Problem>> => {
  switch (runtimeType) {
    case runcShimName:
      return generate("RuncOptions", RuncOptionsMessage, runtimeName, options)
    case runhcsShimName:
      return generate("RunhcsOptions", RunhcsOptionsMessage, runtimeName, options)
    default:
      return generate("RuntimeOptions", RuntimeOptionsMessage, runtimeName, options)
  }
}

/**
 * The runc options dockerd gives its stock runtimes and every `path` runtime:
 * which runc binary to run (or its wrapper script), its state directory,
 * whether cgroups go through systemd, and `no_pivot_root` when the daemon runs
 * from a ramdisk (`DOCKER_RAMDISK`), where `pivot_root` fails.
 */
export const runcOptions = (options: {
  readonly binaryName: string
  readonly root: string
  readonly systemdCgroup: boolean
  readonly noPivotRoot: boolean
}): RuncShimOptions => ({
  _tag: "RuncOptions",
  typeUrl: RuncOptionsMessage.typeUrl,
  value: {
    binaryName: options.binaryName,
    root: options.root,
    systemdCgroup: options.systemdCgroup,
    noPivotRoot: options.noPivotRoot
  }
})

/**
 * The proto3 JSON form of shim options (as `protojson` would print the
 * message), with the type URL of the `Any` that carries them. Deterministic:
 * equal options give equal output, key order included.
 */
export const toProtoJson = (
  options: ShimOptions
): { readonly typeUrl: string; readonly value: Record<string, unknown> } => ({
  typeUrl: options.typeUrl,
  value: toProtoJsonValue(shimOptionsMessages[options._tag], options.value)
})
