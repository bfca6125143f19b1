/**
 * Wrapper scripts for runtimes configured with `path` and `runtimeArgs`: what
 * a script says and where it goes. Pure; writing it is `ScriptStore`'s job.
 *
 * containerd's runc shim takes a runtime binary (`BinaryName`) but has no
 * option for extra arguments, so dockerd points the shim at a small shell
 * script that execs the runtime with the configured arguments in front of the
 * shim's own.
 */
import { Buffer } from "node:buffer"
import { hash } from "node:crypto"
import { posix } from "node:path"
import { encodeBase32 } from "./Base32.ts"

/** Where the scripts live, below dockerd's data root (`--data-root`). */
export const scriptsDirectory = (dataRoot: string): string => posix.join(dataRoot, "runtimes")

/**
 * Quotes `word` for a POSIX shell: inside single quotes every byte is literal
 * (spaces, `$`, backticks, `;`, `*`, tabs, newlines), and the only character
 * that needs care, `'`, is written as `'\''` (close, escaped quote, reopen).
 */
export const quoteShellWord = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`

/**
 * The script that runs `binary` with `args`, then whatever the shim passes.
 *
 * dockerd writes `<binary> <args joined by spaces> $@` unquoted, so the shell
 * splits and globs every word and a path or argument holding a space, quote,
 * `$` or `*` reaches the runtime mangled. Here every word is quoted and the
 * caller's arguments are forwarded as `"$@"`, so all of them arrive byte for
 * byte; `exec` replaces the shell, leaving the runtime as the shim's child.
 */
export const renderWrapperScript = (binary: string, args: ReadonlyArray<string>): string =>
  `#!/bin/sh\nexec ${[commandWord(binary), ...args].map(quoteShellWord).join(" ")} "$@"\n`

/**
 * A relative path that starts with `-` would be read by bash's `exec` as an
 * option (and `exec --` is not portable to dash): `./` in front names the same
 * file. A bare name is left alone, since `./` would stop the PATH search.
 */
const commandWord = (binary: string): string => binary.startsWith("-") && binary.includes("/") ? `./${binary}` : binary

/** Longest file name most Linux file systems accept, in bytes. */
const maxFileNameBytes = 255

const utf8 = new TextEncoder()

/** `/` and control characters (C0 with NUL, DEL, C1): never kept in a file name. */
const isForbidden = (char: string): boolean => {
  const codePoint = char.codePointAt(0)!
  return char === "/" || codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)
}

/** Counted, not encoded: a plan of 1,000 runtimes sizes every name. */
const byteLength = (text: string): number => Buffer.byteLength(text, "utf8")

const hasForbidden = (name: string): boolean => {
  for (const char of name) if (isForbidden(char)) return true
  return false
}

const isSafeName = (name: string, budget: number): boolean =>
  name !== "" && name !== "." && name !== ".." && !hasForbidden(name) && byteLength(name) <= budget

const escapeChar = (char: string): string =>
  Array.from(utf8.encode(char), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("")

/**
 * The script's file name, `<name>.<suffix>` (`suffix`: the content hash, see
 * `planWrapper`), always a single path component of
 * at most 255 bytes, so no runtime name can place a script outside the
 * scripts directory.
 *
 * A name that is already safe is kept as it is. Any other name is escaped:
 * `/`, `%`, control characters and NUL become `%XX` per UTF-8 byte, `.` and
 * `..` become `%2E` and `%2E%2E`, the empty name becomes `%`, and what does
 * not fit is cut off at a character boundary. Two runtime names may end up
 * with the same encoding (`a/b` and a literal `a%2Fb`, or two long names
 * sharing a prefix); that is harmless, because the suffix addresses the
 * content: the same file name always holds the same script.
 */
export const scriptFileName = (runtimeName: string, suffix: string): string => {
  const budget = maxFileNameBytes - 1 - byteLength(suffix)
  return `${isSafeName(runtimeName, budget) ? runtimeName : encodeName(runtimeName, budget)}.${suffix}`
}

const encodeName = (name: string, budget: number): string => {
  if (name === "") return "%"
  if (name === "." || name === "..") return name.replaceAll(".", "%2E")
  let out = ""
  let used = 0
  for (const char of name) {
    const piece = isForbidden(char) || char === "%" ? escapeChar(char) : char
    const size = byteLength(piece)
    if (used + size > budget) break
    out += piece
    used += size
  }
  return out
}

/** A script ready to be written: its full path and its content. */
export interface WrapperPlan {
  readonly path: string
  readonly content: string
}

/**
 * The script for one runtime. Its name ends with the base32 SHA-256 of its
 * content, so a script is never rewritten in place: a changed configuration
 * gets a new file, and the old one stays valid for the containers still using
 * it.
 */
export const planWrapper = (
  scriptsDir: string,
  runtimeName: string,
  binary: string,
  args: ReadonlyArray<string>
): WrapperPlan => {
  const content = renderWrapperScript(binary, args)
  const suffix = encodeBase32(hash("sha256", content, "buffer"))
  // The file name is one path component (see `scriptFileName`): no join needed.
  return { path: `${scriptsDir}/${scriptFileName(runtimeName, suffix)}`, content }
}

const scriptStart = "#!/bin/sh\nexec "
const scriptEnd = ` "$@"\n`

/** The single-quoted words of a script line, as `quoteShellWord` writes them; `undefined` for anything else. */
const unquoteWords = (text: string): Array<string> | undefined => {
  const words: Array<string> = []
  let at = 0
  while (at < text.length) {
    if (text[at] !== "'") return undefined
    let word = ""
    at++
    for (;;) {
      const close = text.indexOf("'", at)
      if (close < 0) return undefined
      word += text.slice(at, close)
      at = close + 1
      if (!text.startsWith("\\''", at)) break
      word += "'"
      at += 3
    }
    words.push(word)
    if (at < text.length && text[at++] !== " ") return undefined
  }
  return words
}

/**
 * The binary and arguments of a script `renderWrapperScript` wrote, or
 * `undefined` when `content` is not exactly such a script: what an import
 * reads back from a runtime exported as its wrapper script.
 */
export const parseWrapperScript = (
  content: string
): { readonly binary: string; readonly args: ReadonlyArray<string> } | undefined => {
  if (!content.startsWith(scriptStart) || !content.endsWith(scriptEnd)) return undefined
  const words = unquoteWords(content.slice(scriptStart.length, content.length - scriptEnd.length))
  if (words === undefined || words.length === 0) return undefined
  const [command, ...args] = words as [string, ...Array<string>]
  const binary = command.startsWith("./-") ? command.slice(2) : command
  return renderWrapperScript(binary, args) === content ? { binary, args } : undefined
}
