/**
 * The doctor's effects: finds containerd, gathers exactly the facts the
 * checks of a runtime table need (`Diagnosis.requirements`) through
 * `PathLookup` and `FileSystem`, and hands them to `Diagnosis.diagnose`.
 *
 * Needs no containerd running, and writes nothing: it looks binaries up,
 * stats paths, reads existing wrapper scripts and asks whether directories
 * are writable. Nothing here fails: whatever cannot be learnt is a fact the
 * verdicts report.
 */
import { posix } from "node:path"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import type { PlatformError } from "effect/PlatformError"
import type { DaemonConfig } from "../config/DaemonConfig.ts"
import { PathLookup } from "../host/PathLookup.ts"
import { describeSystemError } from "../host/SystemError.ts"
import type { RuntimeTable } from "../registry/RuntimeTable.ts"
import { type SetupError, setupRuntimes, type SetupOptions, type SetupServices } from "../registry/Setup.ts"
import type { WrapperPlan } from "../wrappers/WrapperScript.ts"
import {
  type ContainerdLocation,
  diagnose,
  type Diagnosis,
  type Facts,
  type Lookup,
  type PathFacts,
  requirements,
  type ScriptFacts,
  type ScriptsDirectoryFacts
} from "./Diagnosis.ts"

export interface DoctorOptions {
  /** The containerd executable; looked up like a runtime (a bare name on PATH). Default `containerd`. */
  readonly containerd?: string | undefined
}

export type DoctorServices = PathLookup | FileSystem.FileSystem

/** The executable name looked up on PATH when no containerd is given. */
export const defaultContainerd = "containerd"

const lookUp = (file: string): Effect.Effect<Lookup, never, PathLookup> =>
  Effect.flatMap(PathLookup, (lookup) => lookup.lookPath(file)).pipe(
    Effect.match({
      onSuccess: (path): Lookup => ({ _tag: "Found", path }),
      onFailure: ({ reason }): Lookup => ({ _tag: "NotFound", reason })
    })
  )

/**
 * Where containerd is, as it sees itself: Go's `os.Executable` resolves
 * symbolic links, so a shim "beside containerd" is beside the real file.
 */
export const locateContainerd = (
  file: string = defaultContainerd
): Effect.Effect<ContainerdLocation, never, DoctorServices> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const found = yield* lookUp(file)
    if (found._tag === "NotFound") return found
    return yield* fs.realPath(found.path).pipe(
      Effect.match({
        onSuccess: (path): ContainerdLocation => ({ _tag: "Found", path }),
        onFailure: (error): ContainerdLocation => ({
          _tag: "NotFound",
          reason: `${found.path}: ${describeSystemError(error)}`
        })
      })
    )
  })

/** `stat` found nothing there, or a file where a directory on the way should be. */
const isAbsent = (error: PlatformError): boolean =>
  error.reason._tag === "NotFound" ||
  (error.reason.cause as { readonly code?: unknown } | undefined)?.code === "ENOTDIR"

/** The directory, or when it is missing its nearest existing ancestor, and whether scripts could go there. */
const examineDirectory = (directory: string): Effect.Effect<ScriptsDirectoryFacts, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    let path = directory
    for (;;) {
      const info = yield* Effect.result(fs.stat(path))
      if (info._tag === "Success") {
        const nearest: PathFacts = info.success.type === "Directory"
          ? {
            _tag: "Directory",
            path,
            notWritable: yield* fs.access(path, { writable: true }).pipe(
              Effect.match({ onSuccess: () => undefined, onFailure: describeSystemError })
            )
          }
          : { _tag: "NotDirectory", path, type: info.success.type }
        return { directory, nearest }
      }
      const parent = posix.dirname(path)
      if (!isAbsent(info.failure) || parent === path) {
        return { directory, nearest: { _tag: "Inaccessible", path, reason: describeSystemError(info.failure) } }
      }
      path = parent
    }
  })

const utf8 = new TextEncoder()

/** What is at a script's path; its content is read only when it could be the script. */
const examineScript = (plan: WrapperPlan): Effect.Effect<ScriptFacts, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.result(fs.stat(plan.path))
    if (info._tag === "Failure") {
      return isAbsent(info.failure)
        ? { _tag: "Absent" }
        : { _tag: "Inaccessible", reason: describeSystemError(info.failure) }
    }
    const { mode, size, type } = info.success
    if (type !== "File" || size !== BigInt(utf8.encode(plan.content).length)) {
      return { _tag: "Present", type, mode, content: undefined }
    }
    return yield* fs.readFileString(plan.path).pipe(
      Effect.match({
        onSuccess: (content): ScriptFacts => ({ _tag: "Present", type, mode, content }),
        onFailure: (error): ScriptFacts => ({ _tag: "Inaccessible", reason: describeSystemError(error) })
      })
    )
  })

/** Gathers the facts the checks of `table` need, given where containerd is. */
export const gatherFacts = (
  table: RuntimeTable,
  containerd: ContainerdLocation
): Effect.Effect<Facts, never, DoctorServices> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const needed = requirements(table, containerd)
    const lookups = new Map<string, Lookup>()
    for (const file of needed.lookups) lookups.set(file, yield* lookUp(file))
    const existing = new Set<string>()
    for (const path of needed.existence) {
      if (yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))) existing.add(path)
    }
    const scripts = new Map<string, ScriptFacts>()
    for (const plan of needed.scripts) scripts.set(plan.path, yield* examineScript(plan))
    const scriptsDirectory = needed.scriptsDirectory === undefined
      ? undefined
      : yield* examineDirectory(needed.scriptsDirectory)
    return { containerd, lookups, existing, scriptsDirectory, scripts }
  })

/** Every runtime of a table that has been set up, checked against the host. */
export const examine = (
  table: RuntimeTable,
  options: DoctorOptions = {}
): Effect.Effect<Diagnosis, never, DoctorServices> =>
  Effect.gen(function*() {
    const containerd = yield* locateContainerd(options.containerd)
    return diagnose(table, yield* gatherFacts(table, containerd))
  })

/**
 * A configuration set up as dockerd would (writing nothing, probing every
 * runtime's features) and then examined; fails only when the configuration
 * itself is invalid.
 */
export const doctor = (
  config: DaemonConfig,
  options: DoctorOptions & { readonly probe?: SetupOptions["probe"] } = {}
): Effect.Effect<Diagnosis, SetupError, SetupServices | DoctorServices> =>
  Effect.flatMap(setupRuntimes(config, { scripts: "none", probe: options.probe }), (table) => examine(table, options))
