/**
 * Writes wrapper scripts (see `WrapperScript`) and keeps their directory
 * trustworthy (see `ScriptTrust` for what is trusted and why).
 *
 * Nothing here removes a script a table may name: `removeStaleScripts` is
 * only for after a new table is in force (the registry's `boot`).
 */
import { randomBytes } from "node:crypto"
import { posix } from "node:path"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import type { PlatformError } from "effect/PlatformError"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { FileIdentity } from "../host/FileIdentity.ts"
import { describeSystemError } from "../host/SystemError.ts"
import {
  judgeScript,
  judgeScriptsDirectory,
  type Owner,
  ownerOnly,
  repairedDirectoryMessage,
  replacedScriptMessage
} from "./ScriptTrust.ts"
import type { WrapperPlan } from "./WrapperScript.ts"
import { compareBytes } from "../names/ByteOrder.ts"

/** The scripts directory could not be created, inspected, repaired or synced, or is not to be trusted. */
export class ScriptsDirectoryError extends Schema.TaggedError<ScriptsDirectoryError>()("ScriptsDirectoryError", {
  directory: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `runtime scripts directory ${this.directory}: ${this.reason}`
  }
}

/** The wrapper script of runtime `runtimeName` could not be checked or written at `path`. */
export class WrapperWriteError extends Schema.TaggedError<WrapperWriteError>()("WrapperWriteError", {
  runtimeName: Schema.String,
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `runtime ${this.runtimeName}: cannot write wrapper script ${this.path}: ${this.reason}`
  }
}

/** The uid that owns what we create, and the only one whose scripts we trust. */
export const effectiveUid: Effect.Effect<Owner> = Effect.sync(() => process.geteuid?.())

const directoryError = (directory: string) => (error: PlatformError) =>
  new ScriptsDirectoryError({ directory, reason: describeSystemError(error) })

const isNotFound = (error: PlatformError): boolean => error.reason._tag === "NotFound"

/** fsync of a directory, which makes the names created or renamed in it durable. */
const syncDirectory = (fs: FileSystem.FileSystem, dir: string) =>
  Effect.scoped(Effect.flatMap(fs.open(dir, { flag: "r" }), (handle) => handle.sync))

/**
 * Creates the directory (its parents as needed) with mode 0700, chmod-ed
 * since the umask may have narrowed it, and syncs the parent so that the new
 * name survives a crash. Not recursive for the directory itself: one that
 * appears meanwhile was not made by us and fails rather than being trusted.
 */
const createDirectory = (fs: FileSystem.FileSystem, dir: string) => {
  const parent = posix.dirname(dir)
  return fs.makeDirectory(parent, { recursive: true }).pipe(
    Effect.andThen(fs.makeDirectory(dir, { mode: ownerOnly })),
    Effect.andThen(fs.chmod(dir, ownerOnly)),
    Effect.andThen(syncDirectory(fs, parent))
  )
}

/**
 * Makes `<data-root>/runtimes` safe to hold scripts before any is checked or
 * written: creates it when missing, narrows a mode others could use (and says
 * so, in the returned warning), and refuses a symbolic link, a non-directory
 * or a directory someone else owns. Looked at with `lstat`, so a link is never
 * followed.
 */
export const prepareScriptsDirectory = Effect.fnUntraced(function*(dir: string, owner: Owner) {
  const fs = yield* FileSystem.FileSystem
  const fail = directoryError(dir)
  const facts = yield* fs.lstat(dir).pipe(
    Effect.map((info) => info as FileSystem.File.Info | undefined),
    Effect.catchIf(isNotFound, () => Effect.succeed(undefined)),
    Effect.mapError(fail)
  )
  if (facts === undefined) {
    yield* createDirectory(fs, dir).pipe(Effect.mapError(fail))
    return undefined
  }
  const verdict = judgeScriptsDirectory(facts, owner)
  switch (verdict._tag) {
    case "Trust":
      return undefined
    case "Refuse":
      return yield* new ScriptsDirectoryError({ directory: dir, reason: verdict.reason })
    case "Repair":
      yield* fs.chmod(dir, ownerOnly).pipe(Effect.mapError(fail))
      return repairedDirectoryMessage(dir, verdict.mode)
  }
})

/** One script a runtime needs; `runtimeName` is who errors and warnings name. */
export interface ScriptRequest {
  readonly runtimeName: string
  readonly plan: WrapperPlan
}

/** What became of one script: it was trusted as it was, written afresh, or put in place of a file not trusted. */
type ScriptOutcome =
  | { readonly _tag: "Kept" }
  | { readonly _tag: "Written" }
  | { readonly _tag: "Replaced"; readonly reason: string }

const kept: ScriptOutcome = { _tag: "Kept" }
const written: ScriptOutcome = { _tag: "Written" }

const utf8 = new TextEncoder()

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0

/**
 * Writes `bytes` to `path` atomically: into a fresh temporary file of the
 * same directory, synced, made 0700, then renamed over whatever `path` was
 * (a rename replaces a symbolic link itself, never its target). Nobody ever
 * sees a partial script under the final name; on any failure or interruption
 * the temporary file is removed.
 */
const writeAtomically = (fs: FileSystem.FileSystem, path: string, bytes: Uint8Array) => {
  const temp = posix.join(posix.dirname(path), `.${randomBytes(8).toString("hex")}.tmp`)
  return Effect.scoped(
    fs.open(temp, { flag: "wx", mode: ownerOnly }).pipe(
      Effect.tap((file) => file.writeAll(bytes)),
      Effect.tap((file) => file.sync)
    )
  ).pipe(
    Effect.andThen(fs.chmod(temp, ownerOnly)),
    Effect.andThen(fs.rename(temp, path)),
    Effect.onError(() => Effect.ignore(fs.remove(temp, { force: true })))
  )
}

/**
 * The identity (`FileIdentity.identifyEntries`: inode, type, mode, owner,
 * size, modification and status-change times) of each script as last written
 * or verified by this process, by path. A script showing the same identity
 * since has been neither replaced (a new file is a new inode) nor written to
 * or chmod-ed (that moves its times), except by root, whose changes we cannot
 * stop anyway; so a long-lived caller (the registry) keeps one across setups,
 * and a reload reads only the scripts that changed since.
 */
export type VerifiedScripts = Map<string, string>

/**
 * Hands out an existing script only after checking it as `ScriptTrust` says
 * (metadata from `lstat`, then the content byte for byte), and writes it
 * otherwise; either way `verified` then holds its identity. The identity is
 * taken before the checks it vouches for, so a change in between shows at the
 * next setup. The directory must have been prepared first, so that nobody can
 * swap the file between the check and the read.
 */
const ensureScript = (
  fs: FileSystem.FileSystem,
  files: FileIdentity,
  owner: Owner,
  verified: VerifiedScripts,
  { plan, runtimeName }: ScriptRequest
) => {
  const bytes = utf8.encode(plan.content)
  const identify = Effect.map(files.identifyEntries([plan.path]), ([identity]) => identity)
  const remember = (identity: string | undefined) =>
    Effect.sync(() => identity === undefined ? verified.delete(plan.path) : verified.set(plan.path, identity))
  const write = (outcome: ScriptOutcome) =>
    writeAtomically(fs, plan.path, bytes).pipe(Effect.andThen(identify), Effect.flatMap(remember), Effect.as(outcome))
  const compare = (identity: string | undefined): Effect.Effect<ScriptOutcome, PlatformError> =>
    Effect.flatMap(fs.readFile(plan.path), (content) =>
      sameBytes(content, bytes)
        ? Effect.as(remember(identity), kept)
        : write({ _tag: "Replaced", reason: "its content differed" }))
  const check = (identity: string | undefined, facts: FileSystem.File.Info) => {
    const verdict = judgeScript(facts, owner, bytes.length)
    return verdict._tag === "Replace" ? write({ _tag: "Replaced", reason: verdict.reason }) : compare(identity)
  }
  return Effect.flatMap(identify, (identity) =>
    fs.lstat(plan.path).pipe(
      Effect.matchEffect({
        onFailure: (error) => isNotFound(error) ? write(written) : Effect.fail(error),
        onSuccess: (facts) => check(identity, facts)
      })
    )).pipe(
      Effect.mapError((error) => new WrapperWriteError({ runtimeName, path: plan.path, reason: describeSystemError(error) }))
    )
}

/**
 * How many scripts are checked or written at once: durable writes issued
 * together share the disk's flushes (50 take ~100 ms one by one, ~10 ms
 * together), and a bound keeps 1,000 of them from exhausting descriptors.
 */
const scriptConcurrency = 32

/** The requests with distinct paths, the first runtime naming each path kept. */
const distinctPaths = (requests: ReadonlyArray<ScriptRequest>): ReadonlyArray<ScriptRequest> => {
  const byPath = new Map<string, ScriptRequest>()
  for (const request of requests) if (!byPath.has(request.plan.path)) byPath.set(request.plan.path, request)
  return [...byPath.values()]
}

/** An existing script that was not trusted and has been rewritten. */
export interface ReplacedScript {
  readonly runtimeName: string
  readonly message: string
}

/**
 * Makes every requested script present and trusted in the prepared directory
 * `dir`, each distinct path once and many at a time, and when any name was
 * created or replaced, syncs the directory once at the end so the renames are
 * durable. Returns the scripts that had to be rewritten, in request order.
 * Scripts `verified` already holds are looked at in one sweep first, and
 * only those whose identity changed are checked again. `verified` is updated
 * to describe exactly the requested scripts.
 */
export const installScripts = Effect.fnUntraced(function*(
  dir: string,
  requests: ReadonlyArray<ScriptRequest>,
  owner: Owner,
  verified: VerifiedScripts = new Map()
) {
  const fs = yield* FileSystem.FileSystem
  const files = yield* FileIdentity
  const unique = distinctPaths(requests)
  const paths = unique.map((request) => request.plan.path)
  const requested = new Set(paths)
  for (const path of verified.keys()) if (!requested.has(path)) verified.delete(path)
  const now = verified.size === 0 ? [] : yield* files.identifyEntries(paths)
  const changed = unique.filter((request, i) => now[i] === undefined || now[i] !== verified.get(request.plan.path))
  const outcomes = yield* Effect.forEach(changed, (request) => ensureScript(fs, files, owner, verified, request), {
    concurrency: scriptConcurrency
  })
  if (outcomes.some((outcome) => outcome._tag !== "Kept")) {
    yield* syncDirectory(fs, dir).pipe(Effect.mapError(directoryError(dir)))
  }
  return outcomes.flatMap((outcome, i): Array<ReplacedScript> =>
    outcome._tag === "Replaced"
      ? [{ runtimeName: changed[i]!.runtimeName, message: replacedScriptMessage(changed[i]!.plan.path, outcome.reason) }]
      : []
  )
})

/**
 * Removes every entry of `dir` not named in `keep` (file names): scripts of
 * earlier configurations and temporary files a crash left behind. Only once
 * the table naming `keep` is in force, since a table still answering may name
 * what this removes. Best effort, as nothing named in `keep` is touched: what
 * could not be removed comes back as messages, sorted by name.
 */
export const removeStaleScripts = Effect.fnUntraced(function*(dir: string, keep: ReadonlySet<string>) {
  const fs = yield* FileSystem.FileSystem
  const listed = yield* Effect.result(fs.readDirectory(dir))
  if (Result.isFailure(listed)) return [`cannot list ${dir} to remove old scripts: ${describeSystemError(listed.failure)}`]
  const stale = listed.success.filter((name) => !keep.has(name)).sort(compareBytes)
  const failures = yield* Effect.forEach(stale, (name) =>
    fs.remove(posix.join(dir, name), { recursive: true, force: true }).pipe(
      Effect.match({
        onSuccess: () => [],
        onFailure: (error) => [`cannot remove old script ${posix.join(dir, name)}: ${describeSystemError(error)}`]
      })
    ), { concurrency: scriptConcurrency })
  return failures.flat()
})
