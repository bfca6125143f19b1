/**
 * How a run ends: its exit code, and the way a command says it has reported
 * its outcome and only the code is left.
 *
 * Exit codes follow the usual CLI convention: 1 when the input (the
 * configuration, the flags' values, the runtime asked for) is wrong, 2 when
 * the command line itself is (unknown flag, bad duration), 70 (EX_SOFTWARE)
 * for a bug, and 128+N after signal N.
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  internal: 70
} as const
export type ExitCode = typeof ExitCode[keyof typeof ExitCode]

/**
 * A command has reported its outcome and only the exit code remains; raised
 * as a failure so that nothing after it runs.
 */
export class CommandExit {
  readonly _tag = "CommandExit"
  /** One of `ExitCode`, or for `run` the container's own exit status. */
  readonly code: number
  constructor(code: number) {
    this.code = code
  }
}

export const isCommandExit = (u: unknown): u is CommandExit => u instanceof CommandExit
