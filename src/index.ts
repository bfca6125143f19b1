/**
 * oci-runtimes: dockerd's runtime configuration as an Effect library.
 *
 * One namespace per module. Programs that care about start-up time import the
 * modules directly instead (`oci-runtimes/registry/Registry`), as they would
 * `effect/Effect` rather than `effect`.
 */
export * as ConfigFile from "./config/ConfigFile.ts"
export * as DaemonConfig from "./config/DaemonConfig.ts"
export * as ConfigErrors from "./config/Errors.ts"
export * as ExecOpts from "./config/ExecOpts.ts"
export * as Flags from "./config/Flags.ts"
export * as Problem from "./config/Problem.ts"
export * as ConfigWatcher from "./daemon/ConfigWatcher.ts"
export * as HangupSignal from "./daemon/HangupSignal.ts"
export * as ManagedRegistry from "./daemon/ManagedRegistry.ts"
export * as FeatureProbe from "./features/FeatureProbe.ts"
export * as Features from "./features/Features.ts"
export * as ProbeError from "./features/ProbeError.ts"
export * as ProbeRunner from "./features/ProbeRunner.ts"
export * as ScriptedFeatureProbe from "./features/ScriptedFeatureProbe.ts"
export * as FileIdentity from "./host/FileIdentity.ts"
export * as HostFacts from "./host/HostFacts.ts"
export * as PathLookup from "./host/PathLookup.ts"
export * as RuntimeName from "./names/RuntimeName.ts"
export * as ShimOptions from "./options/ShimOptions.ts"
export * as Preflight from "./registry/Preflight.ts"
export * as Registry from "./registry/Registry.ts"
export * as RuntimePlan from "./registry/RuntimePlan.ts"
export * as RuntimeTable from "./registry/RuntimeTable.ts"
export * as Setup from "./registry/Setup.ts"
export * as TableDiff from "./registry/TableDiff.ts"
export * as TestRegistry from "./registry/TestRegistry.ts"
export * as ScriptStore from "./wrappers/ScriptStore.ts"
export * as ScriptTrust from "./wrappers/ScriptTrust.ts"
export * as WrapperScript from "./wrappers/WrapperScript.ts"
