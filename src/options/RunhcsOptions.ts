/**
 * hcsshim's Windows shim options (`io.containerd.runhcs.v1`), as declared in
 * microsoft/hcsshim `cmd/containerd-shim-runhcs-v1/options/runhcs.proto`.
 *
 * `GPUVHDPath` and `NCProxyAddr` are spelled that way in the `.proto`, so their
 * JSON names keep the capitals.
 */
import type { EnumType, MessageDescriptor, MessageValue } from "./MessageDescriptor.ts"
import { messageSchema } from "./MessageDescriptor.ts"

/** Where the shim writes its debug trace. */
export const DebugType = {
  _tag: "enum",
  name: "DebugType",
  values: { NPIPE: 0, FILE: 1, ETW: 2 }
} as const satisfies EnumType

/** Whether a sandbox runs as a host process or in a utility VM. */
export const SandboxIsolation = {
  _tag: "enum",
  name: "SandboxIsolation",
  values: { PROCESS: 0, HYPERVISOR: 1 }
} as const satisfies EnumType

export const RunhcsOptionsMessage = {
  typeUrl: "containerd.runhcs.v1.Options",
  fields: [
    { number: 1, protoName: "debug", jsonName: "debug", goName: "Debug", kind: "bool" },
    { number: 2, protoName: "debug_type", jsonName: "debugType", goName: "DebugType", kind: DebugType },
    { number: 3, protoName: "registry_root", jsonName: "registryRoot", goName: "RegistryRoot", kind: "string" },
    { number: 4, protoName: "sandbox_image", jsonName: "sandboxImage", goName: "SandboxImage", kind: "string" },
    {
      number: 5,
      protoName: "sandbox_platform",
      jsonName: "sandboxPlatform",
      goName: "SandboxPlatform",
      kind: "string"
    },
    {
      number: 6,
      protoName: "sandbox_isolation",
      jsonName: "sandboxIsolation",
      goName: "SandboxIsolation",
      kind: SandboxIsolation
    },
    {
      number: 7,
      protoName: "boot_files_root_path",
      jsonName: "bootFilesRootPath",
      goName: "BootFilesRootPath",
      kind: "string"
    },
    {
      number: 8,
      protoName: "vm_processor_count",
      jsonName: "vmProcessorCount",
      goName: "VmProcessorCount",
      kind: "int32"
    },
    {
      number: 9,
      protoName: "vm_memory_size_in_mb",
      jsonName: "vmMemorySizeInMb",
      goName: "VmMemorySizeInMb",
      kind: "int32"
    },
    { number: 10, protoName: "GPUVHDPath", jsonName: "GPUVHDPath", goName: "GPUVHDPath", kind: "string" },
    {
      number: 11,
      protoName: "scale_cpu_limits_to_sandbox",
      jsonName: "scaleCpuLimitsToSandbox",
      goName: "ScaleCpuLimitsToSandbox",
      kind: "bool"
    },
    {
      number: 12,
      protoName: "default_container_scratch_size_in_gb",
      jsonName: "defaultContainerScratchSizeInGb",
      goName: "DefaultContainerScratchSizeInGb",
      kind: "int32"
    },
    {
      number: 13,
      protoName: "default_vm_scratch_size_in_gb",
      jsonName: "defaultVmScratchSizeInGb",
      goName: "DefaultVmScratchSizeInGb",
      kind: "int32"
    },
    { number: 14, protoName: "share_scratch", jsonName: "shareScratch", goName: "ShareScratch", kind: "bool" },
    { number: 15, protoName: "NCProxyAddr", jsonName: "NCProxyAddr", goName: "NCProxyAddr", kind: "string" },
    { number: 16, protoName: "log_level", jsonName: "logLevel", goName: "LogLevel", kind: "string" },
    {
      number: 17,
      protoName: "io_retry_timeout_in_sec",
      jsonName: "ioRetryTimeoutInSec",
      goName: "IoRetryTimeoutInSec",
      kind: "int32"
    },
    {
      number: 18,
      protoName: "default_container_annotations",
      jsonName: "defaultContainerAnnotations",
      goName: "DefaultContainerAnnotations",
      kind: "map<string,string>"
    },
    {
      number: 19,
      protoName: "no_inherit_host_timezone",
      jsonName: "noInheritHostTimezone",
      goName: "NoInheritHostTimezone",
      kind: "bool"
    },
    // `optional`: hcsshim scrubs logs unless this is explicitly false.
    {
      number: 20,
      protoName: "scrub_logs",
      jsonName: "scrubLogs",
      goName: "ScrubLogs",
      kind: "bool",
      explicitPresence: true
    }
  ]
} as const satisfies MessageDescriptor

export const RunhcsOptions = messageSchema(RunhcsOptionsMessage)

export type RunhcsOptions = MessageValue<typeof RunhcsOptionsMessage>
