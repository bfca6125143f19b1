/**
 * containerd's generic runtime options (`runtimeoptions.v1.Options`, from
 * containerd's `api/types/runtimeoptions/v1/api.proto`), which dockerd sends to
 * every shim other than runc's and runhcs's — kata, gVisor and the like. They
 * only point the shim at its own configuration: a file (`config_path`) or an
 * inline blob (`config_body`, conventionally TOML).
 *
 * containerd's CRI plugin fills `config_body` with the runtime's whole TOML
 * options table when `config_path` is empty; dockerd does not, and sends just
 * the fields the administrator set.
 */
import type { MessageDescriptor, MessageValue } from "./MessageDescriptor.ts"
import { messageSchema } from "./MessageDescriptor.ts"

export const RuntimeOptionsMessage = {
  typeUrl: "runtimeoptions.v1.Options",
  fields: [
    { number: 1, protoName: "type_url", jsonName: "typeUrl", goName: "TypeUrl", kind: "string" },
    { number: 2, protoName: "config_path", jsonName: "configPath", goName: "ConfigPath", kind: "string" },
    { number: 3, protoName: "config_body", jsonName: "configBody", goName: "ConfigBody", kind: "bytes" }
  ]
} as const satisfies MessageDescriptor

export const RuntimeOptions = messageSchema(RuntimeOptionsMessage)

export type RuntimeOptions = MessageValue<typeof RuntimeOptionsMessage>
