/**
 * Whether `Output` colours each stream: effect/cli's rules (`NO_COLOR`,
 * `FORCE_COLOR`, `TERM=dumb`, a terminal), applied to stdout and stderr
 * each on its own terms.
 */
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Stdio from "effect/Stdio"
import * as Output from "../../src/cli/Output.ts"

interface Streams {
  readonly stdoutIsTerminal: boolean
  readonly stderrIsTerminal: boolean
}

/** Whether stdout and stderr are coloured, with this environment and these terminals. */
const colours = (env: Record<string, string>, streams: Streams) =>
  Effect.gen(function*() {
    const output = yield* Output.Output
    return { stdout: output.stdoutStyle.color, stderr: output.stderrStyle.color }
  }).pipe(
    Effect.provide(Output.layer),
    Effect.provide(Stdio.layerTest({
      stdoutIsTerminal: Effect.succeed(streams.stdoutIsTerminal),
      stderrIsTerminal: Effect.succeed(streams.stderrIsTerminal)
    })),
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: { TERM: "xterm", ...env } }))
  )

const terminals = { stdoutIsTerminal: true, stderrIsTerminal: true }
const pipes = { stdoutIsTerminal: false, stderrIsTerminal: false }

describe("Output colours", () => {
  it.effect("each stream on its own terms: a terminal on stderr while stdout is a pipe", () =>
    Effect.gen(function*() {
      expect(yield* colours({}, { stdoutIsTerminal: false, stderrIsTerminal: true })).toEqual({ stdout: false, stderr: true })
      expect(yield* colours({}, { stdoutIsTerminal: true, stderrIsTerminal: false })).toEqual({ stdout: true, stderr: false })
    }))

  it.effect("no colour on pipes", () =>
    Effect.gen(function*() {
      expect(yield* colours({}, pipes)).toEqual({ stdout: false, stderr: false })
    }))

  it.effect("FORCE_COLOR colours pipes, except 0 and false", () =>
    Effect.gen(function*() {
      expect(yield* colours({ FORCE_COLOR: "1" }, pipes)).toEqual({ stdout: true, stderr: true })
      expect(yield* colours({ FORCE_COLOR: "0" }, pipes)).toEqual({ stdout: false, stderr: false })
      expect(yield* colours({ FORCE_COLOR: "false" }, pipes)).toEqual({ stdout: false, stderr: false })
    }))

  it.effect("NO_COLOR wins over terminals and FORCE_COLOR; an empty one counts as unset", () =>
    Effect.gen(function*() {
      expect(yield* colours({ NO_COLOR: "1", FORCE_COLOR: "1" }, terminals)).toEqual({ stdout: false, stderr: false })
      expect(yield* colours({ NO_COLOR: "" }, terminals)).toEqual({ stdout: true, stderr: true })
    }))

  it.effect("TERM=dumb never gets colour", () =>
    Effect.gen(function*() {
      expect(yield* colours({ TERM: "dumb", FORCE_COLOR: "1" }, terminals)).toEqual({ stdout: false, stderr: false })
    }))
})
