/**
 * A defect — a bug, whatever was thrown — as one line of text, for the CLI's
 * "internal error" and the server's 500: neither ever shows a stack trace.
 */
export const describeDefect = (defect: unknown): string => {
  let text: string
  try {
    text = defect instanceof Error ? `${defect.name}: ${defect.message}` : String(defect)
  } catch {
    text = Object.prototype.toString.call(defect)
  }
  return text.split("\n")[0] ?? ""
}
