/**
 * Every export target and import source, by its `--to` or `--from` name.
 * A new target is its module, and its entry here.
 */
import { containerd, containerdSource, containerdV3, containerdV3Source } from "./Containerd.ts"
import { crio, crioSource } from "./Crio.ts"
import type { ImportSource } from "./Import.ts"
import { podman, podmanSource } from "./Podman.ts"
import { runtimeClasses } from "./RuntimeClass.ts"
import type { ExportFormat, ImportFormat } from "./Formats.ts"
import type { ExportTarget } from "./Target.ts"

export type { ExportFormat, ImportFormat } from "./Formats.ts"

const targets = {
  containerd,
  "containerd-v3": containerdV3,
  crio,
  podman,
  runtimeclass: runtimeClasses
} as const satisfies Readonly<Record<ExportFormat, ExportTarget>>

export const exportTarget = (format: ExportFormat): ExportTarget => targets[format]

const sources = {
  containerd: containerdSource,
  "containerd-v3": containerdV3Source,
  crio: crioSource,
  podman: podmanSource
} as const satisfies Readonly<Record<ImportFormat, ImportSource>>

export const importSource = (format: ImportFormat): ImportSource => sources[format]
