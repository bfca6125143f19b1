/**
 * Where the CLI writes, and whether in colour. Standard output carries only
 * the result (text or JSON); warnings, errors and usage go to standard error,
 * so `oci-runtimes info --json | jq` always gets a clean document. Each
 * stream is coloured on its own terms: a terminal on stderr may get colour
 * while stdout goes to a pipe.
 */
import * as TerminalCapabilities from "effect/cli/TerminalCapabilities"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import { describeSystemError } from "../host/SystemError.ts"
import { type Style, styleFor } from "./Style.ts"

/** The result could not be written (a full disk, a closed pipe): the run failed, whatever it found. */
export class ResultWriteError extends Schema.TaggedError<ResultWriteError>()("ResultWriteError", {
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot write the result to standard output: ${this.reason}`
  }
}

export interface Output {
  /** Writes one line (or several, joined by newlines) to standard output, and waits until it is written. */
  readonly stdout: (text: string) => Effect.Effect<void, ResultWriteError>
  readonly stderr: (text: string) => Effect.Effect<void>
  /** Passes bytes through to standard output as they are (a container's output), and waits until written. */
  readonly stdoutBytes: (chunk: Uint8Array) => Effect.Effect<void, ResultWriteError>
  /** Passes bytes through to standard error as they are; a failure to write them has nowhere to be told. */
  readonly stderrBytes: (chunk: Uint8Array) => Effect.Effect<void>
  readonly stdoutStyle: Style
  readonly stderrStyle: Style
}

export const Output: Context.Service<Output, Output> = Context.Service<Output>("oci-runtimes/cli/Output")

/**
 * Whether a stream can be coloured, by effect/cli's rules (`NO_COLOR`, then
 * `FORCE_COLOR`, then whether it is a terminal; never with `TERM=dumb`).
 * Those rules look at standard output, so each stream is shown to them as
 * standard output in turn.
 */
const canColor = (stdio: Stdio.Stdio, isTerminal: Effect.Effect<boolean>) =>
  TerminalCapabilities.TerminalCapabilities.useSync((capabilities) => capabilities.canColor).pipe(
    Effect.provide(TerminalCapabilities.layer),
    Effect.provideService(Stdio.Stdio, { ...stdio, stdoutIsTerminal: isTerminal })
  )

/**
 * Results through `Stdio` (so a failed write is an error, not a lost result),
 * messages through `Console`; colour decided from the environment (read through
 * the `ConfigProvider`) and from whether each stream is a terminal (`Stdio`).
 */
export const layer: Layer.Layer<Output, never, Stdio.Stdio> = Layer.effect(Output)(
  Effect.gen(function*() {
    const stdio = yield* Stdio.Stdio
    const toStdout = (data: string | Uint8Array) =>
      Stream.run(Stream.make(data), stdio.stdout()).pipe(
        Effect.mapError((error) => new ResultWriteError({ reason: describeSystemError(error) }))
      )
    return {
      stdout: (text) => toStdout(`${text}\n`),
      stderr: (text) => Console.error(text),
      stdoutBytes: toStdout,
      stderrBytes: (chunk) => Effect.ignore(Stream.run(Stream.make(chunk), stdio.stderr())),
      stdoutStyle: styleFor(yield* canColor(stdio, stdio.stdoutIsTerminal)),
      stderrStyle: styleFor(yield* canColor(stdio, stdio.stderrIsTerminal))
    }
  })
)
