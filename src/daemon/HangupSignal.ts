/**
 * SIGHUP, dockerd's "read your configuration again" signal, as a service, so
 * a daemon's reload loop can be driven by a test instead of by signals.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

export interface HangupSignal {
  /**
   * Catches SIGHUP from when this runs until its scope closes; the stream
   * gives one element per signal caught. Signals that arrive while nobody
   * reads are not lost, but several of them count as one: one reload reads
   * the configuration as it is after all of them.
   */
  readonly listen: Effect.Effect<Stream.Stream<void>, never, Scope.Scope>
}

export const HangupSignal: Context.Service<HangupSignal, HangupSignal> = Context.Service<HangupSignal>(
  "oci-runtimes/HangupSignal"
)

/** A queue that keeps at most one pending signal. */
const pendingSignal = Queue.sliding<void>(1)

/**
 * The process's own SIGHUP. While a handler is installed Node no longer dies
 * of the signal, which is what a daemon wants; once the scope closes the
 * default (termination) applies again.
 */
export const layer: Layer.Layer<HangupSignal> = Layer.succeed(HangupSignal)({
  listen: Effect.gen(function*() {
    const queue = yield* pendingSignal
    const onHangup = () => void Queue.offerUnsafe(queue, undefined)
    yield* Effect.acquireRelease(
      Effect.sync(() => process.on("SIGHUP", onHangup)),
      () => Effect.sync(() => process.off("SIGHUP", onHangup))
    )
    return Stream.fromQueue(queue)
  })
})

/** A signal sent by hand: `send` reaches every listener at the time. */
export interface ScriptedHangupSignal {
  readonly layer: Layer.Layer<HangupSignal>
  readonly send: Effect.Effect<void>
  /** How many listen now. */
  readonly listeners: Effect.Effect<number>
}

export const makeScripted: Effect.Effect<ScriptedHangupSignal> = Effect.sync(() => {
  const listening = new Set<Queue.Queue<void>>()
  const listen = Effect.gen(function*() {
    const queue = yield* pendingSignal
    yield* Effect.acquireRelease(
      Effect.sync(() => listening.add(queue)),
      () => Effect.sync(() => listening.delete(queue))
    )
    return Stream.fromQueue(queue)
  })
  return {
    layer: Layer.succeed(HangupSignal)({ listen }),
    send: Effect.sync(() => {
      for (const queue of listening) Queue.offerUnsafe(queue, undefined)
    }),
    listeners: Effect.sync(() => listening.size)
  }
})
