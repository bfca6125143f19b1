/**
 * The unix socket file `serve` listens on. A file left by a daemon that
 * crashed is replaced; one that something still listens on is refused, as
 * is a path that is not a socket at all, so that starting a second server
 * never takes the first one's clients, and never deletes a file that is not
 * a socket.
 */
import { randomBytes } from "node:crypto"
import { link, lstat, stat, unlink } from "node:fs/promises"
import { dirname, posix } from "node:path"
import { connect } from "node:net"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { describeNodeError } from "../host/SystemError.ts"

/** Another process accepts connections on the socket. */
export class SocketInUse extends Schema.TaggedError<SocketInUse>()("SocketInUse", {
  path: Schema.String
}) {
  override get message(): string {
    return `cannot listen on ${this.path}: another process is listening on it`
  }
}

/** The socket path cannot be used: not a socket, or a system call on it failed. */
export class SocketPathError extends Schema.TaggedError<SocketPathError>()("SocketPathError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `cannot listen on ${this.path}: ${this.reason}`
  }
}


const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code

/**
 * The longest path a client can connect to: `sun_path` holds 108 bytes, and
 * clients (curl, Go, Python) want a terminating NUL, which a bind does not.
 */
const maxSocketPathBytes = 107

/** How long a connection attempt may take before whatever holds the socket counts as alive. */
const connectTimeoutMillis = 1000

/** Whether something accepts connections on the socket at `path`; refused means nothing does. */
const isListenedOn = (path: string) =>
  Effect.callback<boolean, SocketPathError>((resume) => {
    const socket = connect({ path, timeout: connectTimeoutMillis })
    const settle = (effect: Effect.Effect<boolean, SocketPathError>) => {
      socket.destroy()
      resume(effect)
    }
    socket.once("connect", () => settle(Effect.succeed(true)))
    socket.once("timeout", () => settle(Effect.succeed(true)))
    socket.once("error", (error) =>
      settle(
        codeOf(error) === "ECONNREFUSED"
          ? Effect.succeed(false)
          : Effect.fail(new SocketPathError({ path, reason: describeNodeError(error) }))
      ))
    return Effect.sync(() => socket.destroy())
  })

const fileSystemCall = <A>(path: string, call: () => Promise<A>) =>
  Effect.tryPromise({ try: call, catch: (error) => new SocketPathError({ path, reason: describeNodeError(error) }) })

/**
 * Makes `path` free to listen on: nothing there, or a stale socket, which
 * is removed (and logged). Succeeds with whether one was.
 */
export const claimSocketPath = (path: string): Effect.Effect<boolean, SocketInUse | SocketPathError> =>
  Effect.gen(function*() {
    const length = Buffer.byteLength(path)
    if (length > maxSocketPathBytes) {
      return yield* new SocketPathError({ path, reason: `the path is ${length} bytes long; a unix socket's may be ${maxSocketPathBytes} at most` })
    }
    // libuv reports a bind in a missing directory as "permission denied": the directory is checked first.
    const parent = yield* fileSystemCall(path, () => stat(dirname(path)))
    if (!parent.isDirectory()) return yield* new SocketPathError({ path, reason: `${dirname(path)} is not a directory` })
    const stats = yield* fileSystemCall(
      path,
      () => lstat(path).catch((error) => codeOf(error) === "ENOENT" ? undefined : Promise.reject(error))
    )
    if (stats === undefined) return false
    if (!stats.isSocket()) return yield* new SocketPathError({ path, reason: "it exists and is not a socket" })
    if (yield* isListenedOn(path)) return yield* new SocketInUse({ path })
    // Gone already is as good: another server starting beside us removed it first.
    yield* fileSystemCall(path, () => unlink(path).catch((error) => codeOf(error) === "ENOENT" ? undefined : Promise.reject(error)))
    yield* Effect.logInfo(`removed the stale socket ${path} (nothing listened on it)`)
    return true
  })

/**
 * Runs `listen` with a umask that leaves the socket it creates readable and
 * writable by its owner and group only (0660), whatever the umask in force,
 * as dockerd makes its own socket 0660 for the docker group: the mode is
 * right from the moment the file exists, with no window before a `chmod`.
 */
export const withPrivateUmask = <A, E, R>(listen: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => process.umask(0o117)),
    () => listen,
    (previous) => Effect.sync(() => process.umask(previous))
  )

/** A name beside `path` to bind at first, as short as will do; `undefined` when none fits a socket path's length. */
const bindingName = (path: string): string | undefined => {
  const name = posix.join(dirname(path), `.${randomBytes(4).toString("hex")}`)
  return Buffer.byteLength(name) <= maxSocketPathBytes ? name : undefined
}

/**
 * Listens through `bind` at `path`, so that stopping never removes another
 * server's socket, and two servers started at once cannot both take the
 * path. libuv removes the path it bound when the server closes, whatever
 * file is there by then (one a later server created after ours was deleted);
 * so the socket is bound under a fresh name beside `path`, hard-linked onto
 * `path` (which fails if a socket got there first: the other server's) and
 * its fresh name removed, so libuv's removal misses. On release `path` is
 * removed only while it is still this socket. (When no fresh name fits the
 * length limit, the socket is bound at `path` itself.)
 */
export const bindInPlace = <A, E, R>(
  path: string,
  bind: (at: string) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | SocketInUse | SocketPathError, R | Scope.Scope> =>
  Effect.gen(function*() {
    const name = bindingName(path)
    if (name === undefined) return yield* bind(path)
    const bound = yield* bind(name)
    const ours = yield* fileSystemCall(path, () => lstat(name))
    yield* Effect.tryPromise({
      try: () => link(name, path),
      catch: (error) => codeOf(error) === "EEXIST" ? new SocketInUse({ path }) : new SocketPathError({ path, reason: describeNodeError(error) })
    }).pipe(Effect.ensuring(Effect.promise(() => unlink(name).catch(() => undefined))))
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        const now = await lstat(path).catch(() => undefined)
        if (now !== undefined && now.ino === ours.ino && now.dev === ours.dev) await unlink(path).catch(() => undefined)
      })
    )
    return bound
  })
