/**
 * Text decoration for the CLI's output: ANSI colours where a stream takes
 * them, nothing where it does not. Whether a stream takes them is decided by
 * `Output`, with effect/cli's `TerminalCapabilities`.
 */

export interface Style {
  /** Whether this style colours at all: effect/cli's own output (the help) follows it. */
  readonly color: boolean
  readonly bold: (text: string) => string
  readonly dim: (text: string) => string
  readonly red: (text: string) => string
  readonly yellow: (text: string) => string
  readonly green: (text: string) => string
}

const identity = (text: string) => text
const sgr = (on: number, off: number) => (text: string) => `\u001b[${on}m${text}\u001b[${off}m`

/** Leaves text alone, for pipes, files and `NO_COLOR`. */
export const plainStyle: Style = {
  color: false,
  bold: identity,
  dim: identity,
  red: identity,
  yellow: identity,
  green: identity
}

export const ansiStyle: Style = {
  color: true,
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  green: sgr(32, 39)
}

export const styleFor = (canColor: boolean): Style => (canColor ? ansiStyle : plainStyle)
