/**
 * containerd's runc shim options (`io.containerd.runc.v2`), as declared in
 * containerd's `api/types/runc/options/oci.proto`.
 *
 * Field 8 (`criu_path`) was removed in containerd 2.0 and is reserved, so it is
 * not described: containerd would ignore it.
 */
import type { MessageDescriptor, MessageValue } from "./MessageDescriptor.ts"
import { messageSchema } from "./MessageDescriptor.ts"

export const RuncOptionsMessage = {
  typeUrl: "containerd.runc.v1.Options",
  fields: [
    { number: 1, protoName: "no_pivot_root", jsonName: "noPivotRoot", goName: "NoPivotRoot", kind: "bool" },
    { number: 2, protoName: "no_new_keyring", jsonName: "noNewKeyring", goName: "NoNewKeyring", kind: "bool" },
    { number: 3, protoName: "shim_cgroup", jsonName: "shimCgroup", goName: "ShimCgroup", kind: "string" },
    { number: 4, protoName: "io_uid", jsonName: "ioUid", goName: "IoUid", kind: "uint32" },
    { number: 5, protoName: "io_gid", jsonName: "ioGid", goName: "IoGid", kind: "uint32" },
    { number: 6, protoName: "binary_name", jsonName: "binaryName", goName: "BinaryName", kind: "string" },
    { number: 7, protoName: "root", jsonName: "root", goName: "Root", kind: "string" },
    { number: 9, protoName: "systemd_cgroup", jsonName: "systemdCgroup", goName: "SystemdCgroup", kind: "bool" },
    { number: 10, protoName: "criu_image_path", jsonName: "criuImagePath", goName: "CriuImagePath", kind: "string" },
    { number: 11, protoName: "criu_work_path", jsonName: "criuWorkPath", goName: "CriuWorkPath", kind: "string" },
    // Deprecated in containerd, still honoured by the shim.
    { number: 12, protoName: "task_api_address", jsonName: "taskApiAddress", goName: "TaskApiAddress", kind: "string" },
    { number: 13, protoName: "task_api_version", jsonName: "taskApiVersion", goName: "TaskApiVersion", kind: "uint32" }
  ]
} as const satisfies MessageDescriptor

export const RuncOptions = messageSchema(RuncOptionsMessage)

export type RuncOptions = MessageValue<typeof RuncOptionsMessage>
