/**
 * The process's standard streams as Effect's `Stdio`, for the CLI: platform-node's,
 * except how stdout and stderr are written.
 *
 * Node reports a failed write twice, to the write's callback and as an `error`
 * event on the stream, and an `error` event that nobody listens to is thrown.
 * platform-node's sinks listen only while a write is under way, and count a
 * write as done once Node has queued it; so when a pipe's reader went away
 * (`run … | head -1`) while a write was still queued, the `error` event came
 * after the listener had gone: the CLI died with exit 1 and left its container
 * running. Here both streams are listened to from the layer's start on, and
 * a write is done when its callback says so, with its own error.
 *
 * The streams are never ended (`endOnDone` is not honoured): the process's own
 * descriptors stay open for as long as it runs.
 */
import * as NodeStdio from "@effect/platform-node/NodeStdio"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type PlatformError, systemError } from "effect/PlatformError"
import * as Sink from "effect/Sink"
import * as Stdio from "effect/Stdio"

type Method = "stdout" | "stderr"

/** Writes to the stream, and completes when Node has handed the bytes to the system or failed to. */
const writeTo = (stream: NodeJS.WriteStream, method: Method) => (data: string | Uint8Array) =>
  Effect.callback<void, PlatformError>((resume) => {
    stream.write(data, (error) =>
      resume(
        error === null || error === undefined
          ? Effect.void
          : Effect.fail(systemError({ module: "Stdio", method, _tag: "Unknown", cause: error }))
      ))
  })

/** The failure reaches the write's callback; the event only has to be heard. */
const ignoreStreamError = () => {}

/**
 * Listens to both streams' `error` events for the rest of the process's life,
 * not the layer's: a write queued when the program ends (a message on a full
 * pipe) can still fail while Node waits for it before exiting.
 */
const hearStreamErrors = Effect.sync(() => {
  for (const stream of [process.stdout, process.stderr]) {
    if (!stream.listeners("error").includes(ignoreStreamError)) stream.on("error", ignoreStreamError)
  }
})

export const layer: Layer.Layer<Stdio.Stdio> = Layer.effect(Stdio.Stdio)(
  Effect.gen(function*() {
    yield* hearStreamErrors
    const node = yield* Stdio.Stdio
    return Stdio.make({
      args: node.args,
      stdin: node.stdin,
      stdinIsTerminal: node.stdinIsTerminal,
      stdoutIsTerminal: node.stdoutIsTerminal,
      stderrIsTerminal: node.stderrIsTerminal,
      stdout: () => Sink.forEach(writeTo(process.stdout, "stdout")),
      stderr: () => Sink.forEach(writeTo(process.stderr, "stderr"))
    })
  })
).pipe(Layer.provide(NodeStdio.layer))
