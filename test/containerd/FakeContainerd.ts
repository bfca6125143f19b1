/**
 * A stand-in for containerd: a gRPC server on a unix socket in a temporary
 * directory, serving whichever handlers a test gives it, so that the client's
 * treatment of answers containerd rarely gives (a hang, a dropped connection,
 * a status after the headers) can be specified and checked.
 *
 * Handlers come as a connect router; a method can instead be answered by hand
 * on the raw HTTP/2 stream, for answers connect's server would never write.
 */
import type { DescMethod } from "@bufbuild/protobuf"
import type { ConnectRouter } from "@connectrpc/connect"
import { connectNodeAdapter } from "@connectrpc/connect-node"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from "node:http2"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** One call as it arrived. */
export interface ReceivedCall {
  /** `/containerd.services.tasks.v1.Tasks/Create` */
  readonly path: string
  readonly namespace: string | undefined
  /** The `grpc-timeout` header, when the call had a deadline. */
  readonly timeout: string | undefined
}

export interface FakeContainerd {
  /** The socket to point a client at. */
  readonly address: string
  /** Every call received so far, in order. */
  readonly calls: ReadonlyArray<ReceivedCall>
  /** Client connections currently open. */
  readonly openConnections: () => number
  /** Succeeds once no client connection is open. */
  readonly allConnectionsClosed: Effect.Effect<void>
  /** Destroys every open connection at once, as a containerd that crashed would. */
  readonly dropConnections: () => void
}

export interface FakeOptions {
  /** The services' handlers; methods left out answer `unimplemented`. */
  readonly routes?: (router: ConnectRouter, fake: FakeContainerd) => void
  /** Methods answered by hand on the HTTP/2 stream instead of by the router. */
  readonly raw?: ReadonlyArray<readonly [DescMethod, (request: Http2ServerRequest, response: Http2ServerResponse) => void]>
}

/** The HTTP/2 path gRPC sends a method's calls to. */
export const pathOf = (method: DescMethod): string => `/${method.parent.typeName}/${method.name}`

/** A handler that never answers (until the call is cancelled): a hung containerd. */
export const never = (_request: unknown, context: { readonly signal: AbortSignal }): Promise<never> =>
  new Promise((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason)))

/**
 * Answers a call by hand: 200 with gRPC's content type, each chunk in its own
 * DATA frame (a pause between writes keeps HTTP/2 from merging them), then
 * the trailers, or none at all when `trailers` is left out.
 */
export const replyInFrames = (
  response: Http2ServerResponse,
  chunks: ReadonlyArray<Uint8Array>,
  trailers?: Record<string, string>
): void => {
  response.writeHead(200, { "content-type": "application/grpc" })
  const next = (index: number) => {
    const chunk = chunks[index]
    if (chunk === undefined) {
      if (trailers !== undefined) response.addTrailers(trailers)
      response.end()
      return
    }
    response.write(chunk)
    setTimeout(() => next(index + 1), 5)
  }
  next(0)
}

/** A fake containerd listening until the scope closes; then its socket and directory are gone. */
export const make = (options: FakeOptions = {}): Effect.Effect<FakeContainerd, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ fake: FakeContainerd; close: () => void }>((resume) => {
      const dir = mkdtempSync(join(tmpdir(), "fake-containerd-"))
      const address = join(dir, "containerd.sock")
      const calls: Array<ReceivedCall> = []
      const sessions = new Set<Http2Session>()
      const closedWaiters = new Set<() => void>()
      const raw = new Map(options.raw?.map(([method, answer]) => [pathOf(method), answer]))

      const fake: FakeContainerd = {
        address,
        calls,
        openConnections: () => sessions.size,
        allConnectionsClosed: Effect.callback<void>((resumeClosed) => {
          if (sessions.size === 0) return resumeClosed(Effect.void)
          const waiter = () => resumeClosed(Effect.void)
          closedWaiters.add(waiter)
          return Effect.sync(() => closedWaiters.delete(waiter))
        }),
        dropConnections: () => {
          for (const session of sessions) session.destroy()
        }
      }

      const router = connectNodeAdapter({ routes: (r) => options.routes?.(r, fake) })
      const server = createServer((request, response) => {
        const { "containerd-namespace": namespace, "grpc-timeout": timeout } = request.headers
        calls.push({
          path: request.url,
          namespace: typeof namespace === "string" ? namespace : undefined,
          timeout: typeof timeout === "string" ? timeout : undefined
        })
        const answer = raw.get(request.url)
        if (answer === undefined) router(request, response)
        else answer(request, response)
      })
      server.on("session", (session) => {
        sessions.add(session)
        session.once("close", () => {
          sessions.delete(session)
          if (sessions.size === 0) for (const waiter of closedWaiters) waiter()
        })
      })
      const close = () => {
        fake.dropConnections()
        server.close()
        rmSync(dir, { recursive: true, force: true })
      }
      server.listen(address, () => resume(Effect.succeed({ fake, close })))
    }),
    ({ close }) => Effect.sync(close)
  ).pipe(Effect.map(({ fake }) => fake))
