/**
 * What every export target is: a pure translation from the runtime table
 * (its runtimes with their handlers) to one document of the target's
 * format and the findings about what it could not express, and the
 * rendering of that document as the file to drop in. A new target is one
 * module providing an `ExportTarget`, listed in `Targets.ts`.
 */
import type { CgroupDriver } from "../registry/RuntimePlan.ts"
import type { ResolvedRuntime } from "../registry/RuntimeTable.ts"
import type { Finding } from "./Finding.ts"
import type { HandledRuntime } from "./Handlers.ts"

/** What dockerd gives its stock runc, and so every `path` runtime: the node's own settings. */
export interface StockRunc {
  /** runc's state directory, `<exec-root>/runtime-runc`. */
  readonly root: string
  readonly systemdCgroup: boolean
  /** `DOCKER_RAMDISK`: runc must not pivot_root. */
  readonly noPivotRoot: boolean
}

export interface ExportInput {
  /** Sorted by handler. */
  readonly runtimes: ReadonlyArray<HandledRuntime>
  /** `undefined` when the default runtime is none of `runtimes`. */
  readonly defaultHandler: string | undefined
  /** The table's default runtime, as daemon.json names it. */
  readonly defaultRuntime: string
  readonly cgroupDriver: CgroupDriver
  readonly stock: StockRunc
  /**
   * The absolute path a bare binary name resolves to on PATH, if it does:
   * looked up before translating, for targets that want absolute paths.
   */
  readonly locate: (binary: string) => string | undefined
}

export interface Translation {
  /** The document as plain data (a TOML table, or a list of YAML documents). */
  readonly document: unknown
  readonly findings: ReadonlyArray<Finding>
}

export interface ExportTarget {
  /** The `--to` name. */
  readonly format: string
  readonly translate: (input: ExportInput) => Translation
  /** The file's text: deterministic for equal documents. */
  readonly render: (document: unknown) => string
  /** Every bare binary name the translation may `locate`. */
  readonly binariesToLocate: (runtimes: ReadonlyArray<ResolvedRuntime>) => ReadonlyArray<string>
}
