/**
 * Whether what is already on disk under `<data-root>/runtimes` may be trusted.
 * Pure: `ScriptStore` gathers the facts (with `lstat`, which never follows a
 * symbolic link) and acts on the verdict.
 *
 * The shim runs a wrapper script as root, so a script is trusted only when
 * nobody but us can have written it: it sits in a directory only we can
 * change, it is a regular file we own, and only we may write it.
 */
import type * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"

/** Only the owner (root, for dockerd) may read, run, list or change the scripts. */
export const ownerOnly = 0o700

/** What a verdict needs from an `lstat`. */
export type Facts = Pick<FileSystem.File.Info, "type" | "mode" | "uid" | "size">

/** Permission bits, and setuid, setgid and sticky. */
const permissions = (facts: Facts): number => facts.mode & 0o7777

/**
 * The effective uid we run as; `undefined` on a platform without uids, whose
 * file systems report none either, so the two still compare equal there.
 */
export type Owner = number | undefined

const ownerOf = (facts: Facts): Owner => Option.getOrUndefined(facts.uid)

const describeOwner = (uid: Owner): string => uid === undefined ? "an unknown user" : `uid ${uid}`

const octal = (mode: number): string => `0${mode.toString(8).padStart(3, "0")}`

/**
 * The scripts directory:
 * - `Refuse` when it is a symbolic link (following it would put root's
 *   scripts wherever the link points), not a directory, or owned by someone
 *   else (who could swap scripts in at any time, whatever its mode says);
 * - `Repair` when it is ours but others may enter or change it: narrowing the
 *   mode to 0700 takes that away for good, so refusing would only stop the
 *   daemon over something we can fix;
 * - `Trust` otherwise.
 */
export type DirectoryVerdict =
  | { readonly _tag: "Trust" }
  | { readonly _tag: "Repair"; readonly mode: number }
  | { readonly _tag: "Refuse"; readonly reason: string }

export const judgeScriptsDirectory = (facts: Facts, owner: Owner): DirectoryVerdict => {
  if (facts.type === "SymbolicLink") {
    return { _tag: "Refuse", reason: "is a symbolic link; refusing to follow it, so that no script is written elsewhere" }
  }
  if (facts.type !== "Directory") return { _tag: "Refuse", reason: `is a ${facts.type}, not a directory` }
  if (ownerOf(facts) !== owner) {
    return {
      _tag: "Refuse",
      reason: `is owned by ${describeOwner(ownerOf(facts))}, not by ${describeOwner(owner)}: its owner could replace the scripts`
    }
  }
  const mode = permissions(facts)
  return mode === ownerOnly ? { _tag: "Trust" } : { _tag: "Repair", mode }
}

/** Why the directory's mode was narrowed, for the table's warnings. */
export const repairedDirectoryMessage = (directory: string, mode: number): string =>
  `runtime scripts directory ${directory} had mode ${octal(mode)}; changed it to ${octal(ownerOnly)}`

/**
 * An existing file under a script's name. `Compare` means its metadata is
 * what we would have written, so only its content is left to check; `Replace`
 * says why it cannot be kept. A wrong size is caught here, so a huge planted
 * file is never read.
 */
export type ScriptVerdict =
  | { readonly _tag: "Compare" }
  | { readonly _tag: "Replace"; readonly reason: string }

export const judgeScript = (facts: Facts, owner: Owner, expectedBytes: number): ScriptVerdict => {
  if (facts.type !== "File") return { _tag: "Replace", reason: `it was a ${facts.type}, not a regular file` }
  if (ownerOf(facts) !== owner) return { _tag: "Replace", reason: `it was owned by ${describeOwner(ownerOf(facts))}` }
  const mode = permissions(facts)
  if (mode !== ownerOnly) return { _tag: "Replace", reason: `it had mode ${octal(mode)}` }
  if (facts.size !== BigInt(expectedBytes)) return { _tag: "Replace", reason: "its content differed" }
  return { _tag: "Compare" }
}

/** Why an existing script was rewritten, for the table's warnings. */
export const replacedScriptMessage = (path: string, reason: string): string =>
  `wrapper script ${path} was rewritten: ${reason}`
