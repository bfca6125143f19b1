import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { isAbsolute, join, relative } from "node:path"
import { pathToFileURL } from "node:url"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FileSystem from "effect/FileSystem"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import {
  awaitForwarding,
  forwardTaskOutput,
  openTaskIo,
  TaskIoError
} from "../../src/containerd/TaskIo.ts"
import { collectBytes, collectText, startWriter } from "./taskIoSupport.ts"

/** A fresh parent directory for the private directories, removed when the test ends. */
const parent = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "task-io-" }))

/** A sink that queues each chunk, so a test can look at chunks one by one as they arrive. */
const queueing = Effect.map(Queue.unbounded<string>(), (queue) => ({
  queue,
  sink: (chunk: Uint8Array) => Queue.offer(queue, Buffer.from(chunk).toString("utf8"))
}))

/** Ignores chunks. */
const discard = () => Effect.void

/** Whether a fiber has finished, at this instant. */
const isDone = (fiber: Fiber.Fiber<unknown, unknown>) => fiber.pollUnsafe() !== undefined

/** `base` followed by directories with long names, to exactly `length` characters. */
const pathOfLength = (base: string, length: number): string => {
  let path = base
  while (path.length < length) {
    const room = length - path.length - 1
    // Never leave room for just a slash: the last name needs a character too.
    const name = Math.min(200, room) - (room - Math.min(200, room) === 1 ? 1 : 0)
    path = `${path}/${"d".repeat(name)}`
  }
  return path
}

layer(NodeFileSystem.layer, { excludeTestServices: true })("TaskIo", (it) => {
  it.effect("makes a private 0700 directory holding exactly the FIFOs stdout and stderr", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const io = yield* openTaskIo({ parentDirectory: yield* parent })
      expect((yield* fs.stat(io.directory)).mode & 0o7777).toBe(0o700)
      expect((yield* fs.readDirectory(io.directory)).sort()).toEqual(["stderr", "stdout"])
      expect(io.stdoutPath).toBe(join(io.directory, "stdout"))
      expect(io.stderrPath).toBe(join(io.directory, "stderr"))
      for (const path of [io.stdoutPath, io.stderrPath]) {
        const info = yield* fs.stat(path)
        expect(info.type).toBe("FIFO")
        expect(info.mode & 0o7777).toBe(0o600)
      }
    }))

  it.effect("makes the directory in the system's temporary directory by default", () =>
    Effect.gen(function*() {
      const io = yield* openTaskIo()
      expect(io.directory.startsWith(join(tmpdir(), "oci-runtimes-io-"))).toBe(true)
    }))

  it.effect("hands out absolute paths when the parent directory is given relative to our working directory", () =>
    Effect.gen(function*() {
      const dir = yield* parent
      const io = yield* openTaskIo({ parentDirectory: relative(process.cwd(), dir) })
      expect(io.directory.startsWith(join(dir, "oci-runtimes-io-"))).toBe(true)
      expect(isAbsolute(io.stdoutPath) && isAbsolute(io.stderrPath)).toBe(true)
    }))

  it.effect("delivers the bytes in order, byte for byte, NUL bytes included", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* parent
      // Every byte value, then more than a pipe holds (64 KiB), so the writer blocks and resumes many times.
      const payload = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(1 << 20)])
      const source = join(dir, "payload")
      yield* fs.writeFile(source, payload)
      const io = yield* openTaskIo({ parentDirectory: dir })
      yield* startWriter(`cat "$1" > "$2"`, source, io.stdoutPath)
      const received = yield* collectBytes(io.stdout)
      expect(received.length).toBe(payload.length)
      expect(received.equals(payload)).toBe(true)
    }))

  it.effect("delivers a chunk while the writer is still running, before it writes the next", () =>
    Effect.gen(function*() {
      const io = yield* openTaskIo({ parentDirectory: yield* parent })
      const { queue, sink } = yield* queueing
      const forwarding = yield* Effect.forkScoped(forwardTaskOutput(io, { stdout: sink, stderr: discard }))
      // The script cannot write "two", close the FIFO or exit before it is told to go.
      const writer = yield* startWriter(`exec > "$1" 2> "$2"; printf one; read go; printf two`, io.stdoutPath, io.stderrPath)
      expect(yield* Queue.take(queue).pipe(Effect.timeout("5 seconds"))).toBe("one")
      expect(writer.running()).toBe(true)
      expect(isDone(forwarding)).toBe(false)
      yield* writer.proceed
      yield* Fiber.join(forwarding)
      expect(yield* Queue.clear(queue)).toEqual(["two"])
    }))

  it.effect("keeps stdout and stderr apart: each has its own bytes and its own end", () =>
    Effect.gen(function*() {
      const io = yield* openTaskIo({ parentDirectory: yield* parent })
      const stdout = yield* Effect.forkScoped(collectText(io.stdout))
      yield* startWriter(`printf 'to stderr' > "$1"`, io.stderrPath)
      expect(yield* collectText(io.stderr)).toBe("to stderr")
      expect(isDone(stdout)).toBe(false)
      yield* startWriter(`printf 'to stdout' > "$1"`, io.stdoutPath)
      expect(yield* Fiber.join(stdout)).toBe("to stdout")
    }))

  it.effect("ends the stream when the writer closes the FIFO, even while the writer lives on", () =>
    Effect.gen(function*() {
      const io = yield* openTaskIo({ parentDirectory: yield* parent })
      const writer = yield* startWriter(`exec 3> "$1"; printf bye >&3; exec 3>&-; read go`, io.stdoutPath)
      expect(yield* collectText(io.stdout)).toBe("bye")
      expect(writer.running()).toBe(true)
    }))

  it.effect("does not end the stream before a first writer has come", () =>
    Effect.gen(function*() {
      const io = yield* openTaskIo({ parentDirectory: yield* parent })
      const stdout = yield* Effect.forkScoped(collectText(io.stdout))
      // Long enough for the event loop to have reported a hang-up many times over, had Linux reported one.
      yield* Effect.sleep("300 millis")
      expect(isDone(stdout)).toBe(false)
      yield* startWriter(`printf late > "$1"`, io.stdoutPath)
      expect(yield* Fiber.join(stdout)).toBe("late")
    }))

  it.effect("closes promptly and removes the directory when no writer ever came", () =>
    Effect.gen(function*() {
      const dir = yield* parent
      const scope = yield* Scope.make()
      const io = yield* openTaskIo({ parentDirectory: dir }).pipe(Scope.provide(scope))
      yield* Effect.forkScoped(forwardTaskOutput(io, { stdout: discard, stderr: discard })).pipe(Scope.provide(scope))
      const started = performance.now()
      yield* Scope.close(scope, Exit.void)
      // A blocking open or read waiting for the writer would never return.
      expect(performance.now() - started).toBeLessThan(2000)
      expect(existsSync(io.directory)).toBe(false)
    }))

  it.effect("removes the directory and closes the read ends when interrupted mid-stream", () =>
    Effect.gen(function*() {
      const dir = yield* parent
      const { queue, sink } = yield* queueing
      const opened = yield* Queue.unbounded<{ readonly directory: string; readonly stdoutPath: string }>()
      const run = yield* Effect.forkChild(Effect.scoped(
        Effect.gen(function*() {
          const io = yield* openTaskIo({ parentDirectory: dir })
          yield* Queue.offer(opened, io)
          yield* forwardTaskOutput(io, { stdout: sink, stderr: discard })
        })
      ))
      const io = yield* Queue.take(opened)
      const writer = yield* startWriter(`exec > "$1"; while printf x; do sleep 0.01; done`, io.stdoutPath)
      yield* Queue.take(queue)
      yield* Fiber.interrupt(run)
      expect(existsSync(io.directory)).toBe(false)
      // With the only read end closed, the writer's next write fails (SIGPIPE): it cannot outlive the reader.
      const exit = yield* writer.exited.pipe(Effect.timeout("2 seconds"))
      expect(exit).toEqual({ code: null, signal: "SIGPIPE" })
    }))

  it.effect("lets a Node process exit by itself after closing, though no writer ever came", () =>
    Effect.gen(function*() {
      const dir = yield* parent
      const module = pathToFileURL(join(import.meta.dirname, "../../src/containerd/TaskIo.ts")).href
      const script = [
        `import * as Effect from "effect/Effect"`,
        `import { openTaskIo } from ${JSON.stringify(module)}`,
        `const io = openTaskIo({ parentDirectory: ${JSON.stringify(dir)} })`,
        `const directory = await Effect.runPromise(Effect.scoped(Effect.map(io, (io) => io.directory)))`,
        `process.stdout.write(directory)`
      ].join("\n")
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        cwd: join(import.meta.dirname, "../.."),
        stdio: ["ignore", "pipe", "inherit"]
      })
      let printed = ""
      child.stdout.on("data", (chunk) => (printed += chunk))
      const code = yield* Effect.callback<number | null>((resume) => {
        child.once("exit", (code) => resume(Effect.succeed(code)))
        return Effect.sync(() => child.kill("SIGKILL"))
      }).pipe(Effect.timeout("10 seconds"))
      expect(code).toBe(0)
      expect(printed.startsWith(join(dir, "oci-runtimes-io-"))).toBe(true)
      expect(existsSync(printed)).toBe(false)
    }))

  it.effect("forwarding completes once both streams have ended", () =>
    Effect.gen(function*() {
      const io = yield* openTaskIo({ parentDirectory: yield* parent })
      const out = yield* queueing
      const err = yield* queueing
      const forwarding = yield* Effect.forkScoped(forwardTaskOutput(io, { stdout: out.sink, stderr: err.sink }))
      yield* startWriter(`printf out > "$1"`, io.stdoutPath).pipe(Effect.andThen((w) => w.exited))
      yield* Effect.sleep("100 millis")
      expect(isDone(forwarding)).toBe(false)
      yield* startWriter(`printf err > "$1"`, io.stderrPath)
      yield* Fiber.join(forwarding)
      expect(yield* Queue.clear(out.queue)).toEqual(["out"])
      expect(yield* Queue.clear(err.queue)).toEqual(["err"])
    }))

  it.effect("awaitForwarding answers Drained when both streams end within the grace time", () =>
    Effect.gen(function*() {
      const io = yield* openTaskIo({ parentDirectory: yield* parent })
      const forwarding = yield* Effect.forkScoped(forwardTaskOutput(io, { stdout: discard, stderr: discard }))
      yield* startWriter(`printf a > "$1"; printf b > "$2"`, io.stdoutPath, io.stderrPath)
      expect(yield* awaitForwarding(forwarding, io, "5 seconds")).toBe("Drained")
    }))

  it.effect("awaitForwarding stops the forwarding and answers GraceExpired when a writer holds on", () =>
    Effect.gen(function*() {
      const io = yield* openTaskIo({ parentDirectory: yield* parent })
      const forwarding = yield* Effect.forkScoped(forwardTaskOutput(io, { stdout: discard, stderr: discard }))
      yield* startWriter(`printf a > "$2"; exec > "$1"; read go`, io.stdoutPath, io.stderrPath)
      const started = performance.now()
      expect(yield* awaitForwarding(forwarding, io, "200 millis")).toBe("GraceExpired")
      // The writer holds on for ever; the bound only leaves room for a loaded machine.
      expect(performance.now() - started).toBeLessThan(5000)
      expect(Exit.hasInterrupts(yield* Fiber.await(forwarding))).toBe(true)
    }))

  it.effect("awaitForwarding keeps waiting past the grace time while a slow sink is still writing", () =>
    Effect.gen(function*() {
      const io = yield* openTaskIo({ parentDirectory: yield* parent })
      const slowSink = () => Effect.sleep("150 millis")
      const forwarding = yield* Effect.forkScoped(forwardTaskOutput(io, { stdout: slowSink, stderr: discard }))
      // Four chunks, each taking the sink longer than the grace time's half: 600 ms in all against 200 ms of grace.
      yield* startWriter(`exec > "$1"; for i in 1 2 3 4; do printf x; sleep 0.05; done`, io.stdoutPath, io.stderrPath)
      yield* startWriter(`: > "$1"`, io.stderrPath)
      expect(yield* awaitForwarding(forwarding, io, "200 millis")).toBe("Drained")
    }))

  it.effect("fails with TaskIoError naming the parent directory when it does not exist", () =>
    Effect.gen(function*() {
      const missing = join(yield* parent, "missing")
      const error = yield* Effect.flip(openTaskIo({ parentDirectory: missing }))
      expect(error).toBeInstanceOf(TaskIoError)
      expect(error.path).toBe(missing)
      expect(error.reason).toEqual({ _tag: "CreateDirectory", detail: "no such file or directory" })
      expect(error.message).toBe(`cannot create the task I/O directory in ${missing}: no such file or directory`)
    }))

  it.effect("fails with TaskIoError carrying mkfifo's words when the FIFOs cannot be made", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      // The private directory's path still fits in PATH_MAX (4095), its FIFOs' paths do not.
      const deep = pathOfLength(yield* parent, 4070)
      yield* fs.makeDirectory(deep, { recursive: true })
      const error = yield* Effect.flip(openTaskIo({ parentDirectory: deep }))
      expect(error.reason._tag).toBe("CreateFifo")
      expect(error.path.startsWith(join(deep, "oci-runtimes-io-"))).toBe(true)
      // Compared as booleans: a diff of these paths would be thousands of characters.
      expect(error.reason.detail.startsWith(`/usr/bin/mkfifo: cannot create fifo '${error.path}/stdout': `)).toBe(true)
      expect(error.reason.detail.endsWith(`/stderr': File name too long`)).toBe(true)
      expect(error.message.startsWith(`cannot create the task I/O FIFOs in ${error.path}: /usr/bin/mkfifo: `)).toBe(true)
    }))

  it.effect("removes the directory when the FIFOs cannot be made", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const deep = pathOfLength(yield* parent, 4070)
      yield* fs.makeDirectory(deep, { recursive: true })
      yield* Effect.flip(Effect.scoped(openTaskIo({ parentDirectory: deep })))
      expect(yield* fs.readDirectory(deep)).toEqual([])
    }))
})
