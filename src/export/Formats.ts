/**
 * The names of the formats, apart from their modules: the CLI parses
 * `--to` and `--from` with them at start-up without loading any
 * translation (nor the TOML and YAML libraries). `Targets.ts` maps each
 * name to its module, and the types keep the two lists in step.
 */

export const exportFormats = ["containerd", "containerd-v3", "crio", "podman", "runtimeclass"] as const
export type ExportFormat = typeof exportFormats[number]

export const importFormats = ["containerd", "containerd-v3", "crio", "podman"] as const
export type ImportFormat = typeof importFormats[number]
