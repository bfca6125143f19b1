/**
 * Real writer processes for the TaskIo tests: `sh` scripts that open the
 * FIFOs the way a shim does (an ordinary blocking open for writing), write,
 * and, where a test needs to look in between, wait on their stdin for a go.
 */
import { spawn } from "node:child_process"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** How a writer process ended. */
export interface WriterExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface Writer {
  /** Waits for the process to end. */
  readonly exited: Effect.Effect<WriterExit>
  /** Whether the process is still running, at this instant. */
  readonly running: () => boolean
  /** Sends a line to the script's stdin: a `read` in it returns. */
  readonly proceed: Effect.Effect<void>
}

/**
 * Runs `sh -c script sh ...args` (so the script sees the paths as `$1`, `$2`),
 * killed when the scope closes if it is still running.
 */
export const startWriter = (script: string, ...args: ReadonlyArray<string>): Effect.Effect<Writer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn("sh", ["-c", script, "sh", ...args], { stdio: ["pipe", "ignore", "inherit"] })
      const ended = new Promise<WriterExit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })))
      // A script that has already ended cannot take a go; that is the test's failure to report, not a crash.
      child.stdin.on("error", () => {})
      return {
        child,
        writer: {
          exited: Effect.promise(() => ended),
          running: () => child.exitCode === null && child.signalCode === null,
          proceed: Effect.sync(() => void child.stdin.write("go\n"))
        } satisfies Writer
      }
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  ).pipe(Effect.map(({ writer }) => writer))

/** Everything a byte stream yields, as one buffer. */
export const collectBytes = <E>(stream: Stream.Stream<Uint8Array, E>): Effect.Effect<Buffer, E> =>
  Stream.runCollect(stream).pipe(Effect.map((chunks) => Buffer.concat(chunks)))

/** Everything a byte stream yields, as UTF-8 text. */
export const collectText = <E>(stream: Stream.Stream<Uint8Array, E>): Effect.Effect<string, E> =>
  collectBytes(stream).pipe(Effect.map((bytes) => bytes.toString("utf8")))
