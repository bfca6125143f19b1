/**
 * A task's standard output and error, streamed to us as the task writes them,
 * through two FIFOs in a private directory: what containerd's own clients
 * (`ctr`, dockerd) do, since a shim accepts a FIFO path as a process's stdout
 * or stderr.
 *
 * How containerd's runc shim uses them decides the order of everything here:
 * on `Tasks.Create` it opens each FIFO for writing with a *blocking* open, so
 * the read ends must already be open or the create hangs; it also opens a read
 * end of its own that it never reads (so the task never gets EPIPE when a
 * reader goes away), and closes both once the task has exited and its output
 * is copied. End of file on our side therefore means: the task is gone and
 * every byte it wrote has been read.
 *
 * The intended lifecycle, all in one scope:
 *
 * ```ts
 * const io = yield* openTaskIo()                                        // 1. FIFOs, read ends open
 * yield* client.createTask({ containerId, stdout: io.stdoutPath, stderr: io.stderrPath }) // 2. no stdin
 * const forwarding = yield* Effect.forkScoped(forwardTaskOutput(io, sinks)) // 3.
 * yield* client.startTask(containerId)                                  // 4.
 * const exit = yield* client.waitTask(containerId)                      // 5.
 * const drained = yield* awaitForwarding(forwarding, "2 seconds")       // 6. bounded
 * // 7. closing the scope closes the read ends and removes the directory
 * ```
 *
 * Nothing here ever blocks: the read ends are opened with O_NONBLOCK and read
 * through libuv's event loop, never with a blocking open or read on a
 * threadpool thread, so a writer that never comes (the create failed) costs
 * nothing and the scope still closes at once.
 *
 * The module uses `node:fs` rather than Effect's `FileSystem` service: it is
 * bound to Node anyway (a libuv pipe on a descriptor, `mkfifo`), no other
 * `FileSystem` could make FIFOs, and so the caller needs nothing but a scope.
 */
import { execFile } from "node:child_process"
import { closeSync, constants, openSync } from "node:fs"
import { chmod, mkdtemp, rm } from "node:fs/promises"
import { Socket } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { describeNodeError } from "../host/SystemError.ts"

/** The private directory could not be created or made owner-only; `path` is the parent directory. */
export const CreateDirectoryReason = Schema.TaggedStruct("CreateDirectory", { detail: Schema.String })

/** `mkfifo` could not be run or failed; `path` is the private directory, `detail` names the FIFO. */
export const CreateFifoReason = Schema.TaggedStruct("CreateFifo", { detail: Schema.String })

/** The read end of the FIFO at `path` could not be opened. */
export const OpenReason = Schema.TaggedStruct("Open", { detail: Schema.String })

/** Reading the FIFO at `path` failed. */
export const ReadReason = Schema.TaggedStruct("Read", { detail: Schema.String })

export const TaskIoErrorReason = Schema.Union([CreateDirectoryReason, CreateFifoReason, OpenReason, ReadReason])
export type TaskIoErrorReason = typeof TaskIoErrorReason.Type

export class TaskIoError extends Schema.TaggedError<TaskIoError>()("TaskIoError", {
  path: Schema.String,
  reason: TaskIoErrorReason
}) {
  override get message(): string {
    const reason = this.reason
    switch (reason._tag) {
      case "CreateDirectory":
        return `cannot create the task I/O directory in ${this.path}: ${reason.detail}`
      case "CreateFifo":
        return `cannot create the task I/O FIFOs in ${this.path}: ${reason.detail}`
      case "Open":
        return `cannot open the FIFO ${this.path} for reading: ${reason.detail}`
      case "Read":
        return `cannot read the FIFO ${this.path}: ${reason.detail}`
    }
  }
}

export interface TaskIoOptions {
  /** Where the private directory is made (a relative path is resolved from ours); the system's temporary directory by default. */
  readonly parentDirectory?: string
}

export interface TaskIo {
  /** The private directory (mode 0700) holding both FIFOs; removed when the scope closes. */
  readonly directory: string
  /** For `CreateTaskRequest.stdout`. */
  readonly stdoutPath: string
  /** For `CreateTaskRequest.stderr`. */
  readonly stderrPath: string
  /**
   * The bytes written to the stdout FIFO, chunk by chunk as they arrive; ends
   * once every writer has closed it (never before a first writer came).
   * Run it once at a time: a second run continues where the first stopped.
   */
  readonly stdout: Stream.Stream<Uint8Array, TaskIoError>
  /** As `stdout`, for the stderr FIFO. */
  readonly stderr: Stream.Stream<Uint8Array, TaskIoError>
  /** How `forwardTaskOutput` is getting on, for `awaitForwarding` to tell a stall from slow progress. */
  readonly progress: ForwardingProgress
}

/** When forwarding last moved a chunk, and how many chunks its sinks are writing right now. */
export interface ForwardingProgress {
  lastMovedAt: number
  writing: number
}

/** Where a chunk goes, e.g. our own process's stdout. */
export type ChunkSink<E, R> = (chunk: Uint8Array) => Effect.Effect<void, E, R>

/** Only we (and root, as the shim runs) may reach the FIFOs. */
const ownerOnly = 0o700

/** `mkfifo(1)` from coreutils or busybox; Node has no mkfifo(2). */
const mkfifoBinary = "/usr/bin/mkfifo"

const failure = (path: string, reason: TaskIoErrorReason) => new TaskIoError({ path, reason })

/**
 * A fresh directory under `parent`, owner-only whatever the umask, removed
 * with everything in it on release. A finalizer cannot fail: a directory that
 * cannot be removed is left behind.
 */
const privateDirectory = (parent: string) => {
  const directoryError = (error: unknown) => failure(parent, CreateDirectoryReason.make({ detail: describeNodeError(error) }))
  return Effect.acquireRelease(
    Effect.tryPromise({ try: () => mkdtemp(join(parent, "oci-runtimes-io-")), catch: directoryError }),
    (directory) => Effect.promise(() => rm(directory, { recursive: true, force: true }).catch(() => undefined))
  ).pipe(Effect.tap((directory) => Effect.tryPromise({ try: () => chmod(directory, ownerOnly), catch: directoryError })))
}

/** One `mkfifo` run for both FIFOs: the spawn costs a few milliseconds, so it is done once. */
const makeFifos = (directory: string, paths: ReadonlyArray<string>) =>
  Effect.callback<void, TaskIoError>((resume) => {
    const child = execFile(mkfifoBinary, ["-m", "0600", "--", ...paths], (error, _stdout, stderr) => {
      if (error === null) return resume(Effect.void)
      const detail = stderr.trim() !== ""
        ? stderr.trim()
        : `${mkfifoBinary}: ${describeNodeError(error)}`
      resume(Effect.fail(failure(directory, CreateFifoReason.make({ detail }))))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/**
 * The read end of the FIFO at `path` as a libuv pipe handle. O_NONBLOCK makes
 * the open return at once with no writer (a plain open would wait for one,
 * blocking a thread); libuv then polls the descriptor, and Linux reports no
 * hang-up on a FIFO that no writer has opened yet, so the stream waits for the
 * shim instead of ending at once.
 */
const openReadEnd = (path: string) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        // Synchronous on purpose: with O_NONBLOCK the open cannot wait, and no threadpool thread is involved.
        const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
        try {
          return new Socket({ fd, readable: true, writable: false })
        } catch (error) {
          closeSync(fd)
          throw error
        }
      },
      catch: (error) => failure(path, OpenReason.make({ detail: describeNodeError(error) }))
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

/** The socket's bytes; the scope, not the stream, closes the socket, so an interrupted run loses nothing. */
const outputStream = (path: string, socket: Socket): Stream.Stream<Uint8Array, TaskIoError> =>
  NodeStream.fromReadable<Uint8Array, TaskIoError>({
    evaluate: () => socket,
    onError: (error) => failure(path, ReadReason.make({ detail: describeNodeError(error) })),
    closeOnDone: false
  })

/**
 * Creates the private directory and both FIFOs and opens their read ends, all
 * undone when the scope closes — whether or not a writer ever came. Open it
 * before `Tasks.Create`, which waits for a reader.
 */
export const openTaskIo = Effect.fnUntraced(function*(
  options?: TaskIoOptions
): Effect.fn.Return<TaskIo, TaskIoError, Scope.Scope> {
  // Absolute, since the shim resolves the paths from its own working directory, not ours.
  const directory = yield* privateDirectory(resolve(options?.parentDirectory ?? tmpdir()))
  const stdoutPath = join(directory, "stdout")
  const stderrPath = join(directory, "stderr")
  yield* makeFifos(directory, [stdoutPath, stderrPath])
  const stdoutEnd = yield* openReadEnd(stdoutPath)
  const stderrEnd = yield* openReadEnd(stderrPath)
  return {
    directory,
    stdoutPath,
    stderrPath,
    stdout: outputStream(stdoutPath, stdoutEnd),
    stderr: outputStream(stderrPath, stderrEnd),
    progress: { lastMovedAt: Date.now(), writing: 0 }
  }
})

/** A sink that records in `progress` when it starts and finishes each chunk. */
const tracked = <E, R>(progress: ForwardingProgress, sink: ChunkSink<E, R>): ChunkSink<E, R> => (chunk) =>
  Effect.suspend(() => {
    progress.writing++
    return sink(chunk)
  }).pipe(Effect.ensuring(Effect.sync(() => {
    progress.writing--
    progress.lastMovedAt = Date.now()
  })))

/**
 * Hands every chunk of both streams to its sink as it arrives, and completes
 * when both have ended; a failing sink or read stops both. Fork it before
 * starting the task, so nothing the task writes waits in the pipe.
 */
export const forwardTaskOutput = <E1, R1, E2, R2>(
  io: TaskIo,
  sinks: { readonly stdout: ChunkSink<E1, R1>; readonly stderr: ChunkSink<E2, R2> }
): Effect.Effect<void, TaskIoError | E1 | E2, R1 | R2> =>
  Effect.all([
    Stream.runForEach(io.stdout, tracked(io.progress, sinks.stdout)),
    Stream.runForEach(io.stderr, tracked(io.progress, sinks.stderr))
  ], { concurrency: 2, discard: true })

/** Whether the forwarding saw both ends of file, or was cut off when it stalled. */
export type ForwardingOutcome = "Drained" | "GraceExpired"

/** Whether forwarding has neither written nor moved a chunk for `graceMillis`. */
const stalled = (progress: ForwardingProgress, graceMillis: number): boolean =>
  progress.writing === 0 && Date.now() - progress.lastMovedAt >= graceMillis

/**
 * After the task has exited: waits for the forwarding to reach both ends of
 * file for as long as output keeps moving — a slow reader of our own output
 * (`| less`) only makes it slower — and interrupts it once nothing has moved
 * for `grace`. The shim closes the FIFOs only once nothing holds the task's
 * output pipe any more, which a process that escaped the container could
 * postpone for ever.
 */
export const awaitForwarding = <E>(
  forwarding: Fiber.Fiber<void, E>,
  io: TaskIo,
  grace: Duration.Input
): Effect.Effect<ForwardingOutcome, E> => {
  const graceMillis = Duration.toMillis(Duration.fromInputUnsafe(grace))
  const check: Effect.Effect<ForwardingOutcome, E> = Fiber.join(forwarding).pipe(
    Effect.timeoutOption(graceMillis),
    Effect.flatMap(Option.match({
      onSome: () => Effect.succeed<ForwardingOutcome>("Drained"),
      onNone: () =>
        stalled(io.progress, graceMillis)
          ? Fiber.interrupt(forwarding).pipe(Effect.as<ForwardingOutcome>("GraceExpired"))
          : Effect.suspend(() => check)
    }))
  )
  return check
}
