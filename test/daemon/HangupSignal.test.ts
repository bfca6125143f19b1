import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as HangupSignal from "../../src/daemon/HangupSignal.ts"

const listen = Effect.provide(Effect.flatMap(HangupSignal.HangupSignal, (signal) => signal.listen), HangupSignal.layer)

it.live("catches a SIGHUP sent to the process while listening, which then does not die of it", () =>
  Effect.gen(function*() {
    const hangups = yield* listen
    process.kill(process.pid, "SIGHUP")
    const caught = yield* hangups.pipe(Stream.take(1), Stream.runCollect, Effect.timeout("5 seconds"))
    expect(caught).toHaveLength(1)
  }))

it.live("removes its handler when the scope closes", () =>
  Effect.gen(function*() {
    const before = process.listenerCount("SIGHUP")
    yield* Effect.scoped(Effect.andThen(listen, Effect.sync(() => expect(process.listenerCount("SIGHUP")).toBe(before + 1))))
    expect(process.listenerCount("SIGHUP")).toBe(before)
  }))

it.live("counts signals nobody has read yet as one: one reload reads the configuration after all of them", () =>
  Effect.gen(function*() {
    const scripted = yield* HangupSignal.makeScripted
    const hangups = yield* Effect.provide(Effect.flatMap(HangupSignal.HangupSignal, (signal) => signal.listen), scripted.layer)
    yield* scripted.send
    yield* scripted.send
    const caught = yield* hangups.pipe(Stream.take(2), Stream.runCollect, Effect.timeoutOption("100 millis"))
    expect(caught._tag).toBe("None")
    yield* scripted.send
    expect(yield* hangups.pipe(Stream.take(1), Stream.runCollect)).toHaveLength(1)
  }))
