/**
 * Trying every runtime for real: a tiny container per runtime, a few at a
 * time, each bounded in time, each reported with containerd's own error when
 * it fails. What an operator wants to know before restarting dockerd with a
 * new daemon.json, and what no other tool does for all runtimes at once.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Schema from "effect/Schema"
import { RuntimeRegistry, type RuntimesNotSetUp } from "../registry/Registry.ts"
import type { ResolvedRuntime } from "../registry/RuntimeTable.ts"
import type { ContainerdClient } from "./ContainerdClient.ts"
import { runInContainer } from "./ContainerRun.ts"

/** What the smoke container runs; the rootfs must hold `/bin/sh` with `echo` (a static busybox will do). */
export const smokeCommand: ReadonlyArray<string> = ["/bin/sh", "-c", "echo ok"]

/** A smoke container that was still running when its time was up (it was then killed and removed). */
export class SmokeTimeout extends Schema.TaggedError<SmokeTimeout>()("SmokeTimeout", {
  runtime: Schema.String,
  millis: Schema.Number
}) {
  override get message(): string {
    return `did not finish within ${Duration.format(Duration.millis(this.millis))}`
  }
}

/** What it must print to pass. */
const expectedOutput = "ok\n"

export interface SmokeResult {
  readonly name: string
  readonly shim: string
  readonly ok: boolean
  /** Wall time of the whole run, creation and cleanup included, in whole milliseconds. */
  readonly ms: number
  /** Why it failed, in containerd's words where containerd said no. */
  readonly error?: string
}

export interface CheckReport {
  /** Whether the default runtime works; the others may fail without failing the check. */
  readonly ok: boolean
  readonly defaultRuntime: string
  /** Every stock and configured runtime, in name order. */
  readonly runtimes: ReadonlyArray<SmokeResult>
}

export interface CheckOptions {
  /** The directory to use as each container's root filesystem. */
  readonly rootfs: string
  /** How many smoke containers run at once; 4 by default. */
  readonly concurrency?: number
  /** How long one smoke container may run before it is given up on (its cleanup comes on top); 10 s by default. */
  readonly timeout?: Duration.Input
  /** Where warnings go (options a containerd ignores, cleanup that failed); logged when not given. */
  readonly warning?: (message: string) => Effect.Effect<void>
}

/** The last line of what the container wrote to stderr, for a failure message. */
const lastLine = (text: string): string => text.trimEnd().split("\n").at(-1) ?? ""

/** The verdict on one finished smoke container. */
const verdict = (exitStatus: number, stdout: string, stderr: string): string | undefined => {
  if (exitStatus !== 0) {
    const said = lastLine(stderr)
    return `exited with status ${exitStatus}${said === "" ? "" : `: ${said}`}`
  }
  return stdout === expectedOutput ? undefined : `printed ${JSON.stringify(stdout)} instead of ${JSON.stringify(expectedOutput)}`
}

const smokeTest = ({ name, shim }: ResolvedRuntime, options: CheckOptions) =>
  Effect.gen(function*() {
    let stdout = ""
    let stderr = ""
    const stdoutText = new TextDecoder()
    const stderrText = new TextDecoder()
    const timeout = Duration.fromInputUnsafe(options.timeout ?? Duration.seconds(10))
    const [elapsed, outcome] = yield* Effect.timed(
      runInContainer({ runtime: name, rootfs: options.rootfs, args: smokeCommand }, {
        stdout: (chunk) => Effect.sync(() => (stdout += stdoutText.decode(chunk, { stream: true }))),
        stderr: (chunk) => Effect.sync(() => (stderr += stderrText.decode(chunk, { stream: true }))),
        ...(options.warning === undefined ? {} : { warning: options.warning })
      }).pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.fail(new SmokeTimeout({ runtime: name, millis: Duration.toMillis(timeout) }))
        }),
        Effect.result
      )
    )
    const ms = Math.round(Duration.toMillis(elapsed))
    const error = outcome._tag === "Failure"
      ? outcome.failure.message
      : outcome.success.cleanupProblems.length > 0
      ? outcome.success.cleanupProblems.join("; ")
      : verdict(outcome.success.exitStatus, stdout, stderr)
    return error === undefined ? { name, shim, ok: true, ms } : { name, shim, ok: false, ms, error }
  })

/** Runs the smoke container with every runtime of the registry's table and reports each. */
export const checkRuntimes = (
  options: CheckOptions
): Effect.Effect<CheckReport, RuntimesNotSetUp, RuntimeRegistry | ContainerdClient | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const table = yield* (yield* RuntimeRegistry).table
    const runtimes = yield* Effect.forEach(table.runtimes, (runtime) => smokeTest(runtime, options), {
      concurrency: options.concurrency ?? 4
    })
    const defaultResult = runtimes.find((result) => result.name === table.defaultRuntime)
    return { ok: defaultResult?.ok ?? false, defaultRuntime: table.defaultRuntime, runtimes }
  })
