/**
 * containerd's rule for identifiers — namespaces, container ids, snapshot
 * keys — as its `identifiers` package states it (1.6 to 2.x): runs of ASCII
 * letters and digits joined by single `.`, `_` or `-`, at most 76 characters.
 *
 * Pure. Checking a name here, before anything is sent, turns containerd's
 * late `namespace validation: identifier … must match …` into a message that
 * says what is wrong, with nothing created.
 */

/** The longest identifier containerd accepts. */
export const maxIdentifierLength = 76

const identifierPattern = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/

const separators = new Set([".", "_", "-"])
const isAlphanumeric = (char: string) => /^[A-Za-z0-9]$/.test(char)

/** Whether containerd accepts `text` as an identifier. */
export const isValidIdentifier = (text: string): boolean =>
  text.length <= maxIdentifierLength && identifierPattern.test(text)

/**
 * Why containerd refuses `text` as an identifier, in a few words naming the
 * first offending character; `undefined` when it accepts it.
 */
export const whyNotIdentifier = (text: string): string | undefined => {
  if (text === "") return "it is empty"
  const chars = [...text]
  const foreign = chars.find((char) => !isAlphanumeric(char) && !separators.has(char))
  if (foreign !== undefined) return `it contains ${JSON.stringify(foreign)}`
  if (!isAlphanumeric(chars[0]!)) return `it starts with ${JSON.stringify(chars[0])}`
  if (!isAlphanumeric(chars.at(-1)!)) return `it ends with ${JSON.stringify(chars.at(-1))}`
  const doubled = chars.findIndex((char, index) => separators.has(char) && separators.has(chars[index + 1] ?? ""))
  if (doubled >= 0) return `it has ${JSON.stringify(text.slice(doubled, doubled + 2))} where one separator may stand`
  if (text.length > maxIdentifierLength) {
    return `it is ${text.length} characters long, more than ${maxIdentifierLength}`
  }
  return undefined
}

/** What an identifier may be, for messages that reject one. */
export const identifierRule =
  `letters and digits, in runs joined by single '.', '_' or '-', at most ${maxIdentifierLength} characters`
