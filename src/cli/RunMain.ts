/**
 * Runs the CLI's program as the process's main fiber. Like `NodeRuntime.runMain`,
 * which stops on SIGINT and SIGTERM only, but SIGHUP (a closed terminal, a
 * dropped ssh session) stops it too: each interrupts the program, so that its
 * finalizers run (a probe's process group is killed, a container removed),
 * where Node's default for SIGHUP would end the process on the spot and leave
 * the probes, in process groups of their own, running.
 *
 * A program that gives a signal a meaning of its own (`serve` reloads on
 * SIGHUP, as dockerd does) takes it over through `StopSignals` for as long as
 * it needs it.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { ExitCode } from "./ExitCode.ts"

/** The signals that stop the CLI, with their numbers. */
const stopSignals = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const

export type StopSignal = keyof typeof stopSignals

/** 128+N after signal N, as a shell reports a process the signal ended. */
export const signalExitCode = (signal: StopSignal): number => 128 + stopSignals[signal]

export interface StopSignals {
  /**
   * From now until the scope closes, `signal` no longer stops the run: the
   * program handles it itself. The run's own listener stays installed, so
   * the signal never falls back to Node's default (which would end the
   * process on the spot) while the program has none of its own.
   */
  readonly takeOver: (signal: StopSignal) => Effect.Effect<void, never, Scope.Scope>
  /**
   * From now until the scope closes, being stopped is the program's normal
   * end, as a daemon's is: a stop signal that comes meanwhile ends the run
   * with 0 once its finalizers are done, rather than 128+N, which service
   * managers such as systemd would count as a failure.
   */
  readonly stopIsNormalEnd: Effect.Effect<void, never, Scope.Scope>
}

export const StopSignals: Context.Service<StopSignals, StopSignals> = Context.Service<StopSignals>(
  "oci-runtimes/cli/StopSignals"
)

/** How a stop signal ended the run: its signal, and whether the program counted that as its normal end. */
interface Stop {
  readonly signal: StopSignal
  readonly normalEnd: boolean
}

/**
 * The exit code: the program's own; once a stop signal interrupted it, 0 for
 * a normal end, else 128+N for signal N; 70 for anything that escaped it.
 */
const exitCodeOf = (exit: Exit.Exit<number, unknown>, stop: Stop | undefined): number => {
  if (Exit.isSuccess(exit)) return exit.value
  if (stop === undefined || !Cause.hasInterruptsOnly(exit.cause)) return ExitCode.internal
  return stop.normalEnd ? ExitCode.ok : signalExitCode(stop.signal)
}

/**
 * Runs `program`, which answers with the exit code, and exits with it. The
 * first stop signal interrupts the program, whose cleanup may take as long as
 * containerd does; a second one is the user refusing to wait: after
 * `onSecondSignal` has said what is abandoned, the process exits at once,
 * with the second signal's code. Signals the program has taken over are left
 * to it.
 */
export const runMain = (
  program: Effect.Effect<number, never, StopSignals>,
  onSecondSignal: (signal: StopSignal) => void
): void => {
  /** How many takeovers of each signal are in force; a signal counts as a stop signal while it has none. */
  const takenOver = new Map<StopSignal, number>()
  const count = (signal: StopSignal, by: number) => takenOver.set(signal, (takenOver.get(signal) ?? 0) + by)
  let normalEnds = 0
  const inForce = (enter: () => void, leave: () => void) =>
    Effect.asVoid(Effect.acquireRelease(Effect.sync(enter), () => Effect.sync(leave)))
  const service: StopSignals = {
    takeOver: (signal) => inForce(() => count(signal, 1), () => count(signal, -1)),
    stopIsNormalEnd: inForce(() => normalEnds++, () => normalEnds--)
  }
  Runtime.makeRunMain(({ fiber }) => {
    let stop: Stop | undefined
    const listeners = Object.keys(stopSignals).map((name) => {
      const signal = name as StopSignal
      const listener = () => {
        if ((takenOver.get(signal) ?? 0) > 0) return
        if (stop === undefined) {
          // Decided now: the program's scopes close as it stops.
          stop = { signal, normalEnd: normalEnds > 0 }
          fiber.interruptUnsafe(fiber.id)
          return
        }
        onSecondSignal(signal)
        process.exit(signalExitCode(signal))
      }
      process.on(signal, listener)
      return [signal, listener] as const
    })
    fiber.addObserver((exit) => {
      for (const [signal, listener] of listeners) process.removeListener(signal, listener)
      const code = exitCodeOf(exit as Exit.Exit<number, unknown>, stop)
      // A run that ends by itself with 0 lets Node exit once its output is written.
      if (stop !== undefined || code !== 0) process.exit(code)
    })
  })(Effect.provideService(program, StopSignals, service), { disableErrorReporting: true })
}
