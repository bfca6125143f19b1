/**
 * gRPC over containerd's unix socket: one HTTP/2 connection, opened on the
 * first call, reused by every later one, and closed by its owner.
 *
 * This is the HTTP/2 client connect's gRPC protocol runs on, written here
 * rather than taken from connect-node for two reasons. connect-node loads
 * `node:http`, `node:https` and `node:zlib` whatever is used (about 12 ms of a
 * CLI's start-up), and its connection can only be dropped, not refused to
 * later calls. A unix socket to a local daemon needs none of its TLS, HTTP/1,
 * compression or keep-alive pings.
 *
 * The connection is unref'd while no call is in flight, so a program that
 * forgets to close the client can still exit; during a call it holds Node up.
 */
import type { Transport } from "@connectrpc/connect"
import { Code, ConnectError } from "@connectrpc/connect"
import type { UniversalClientRequest, UniversalClientResponse } from "@connectrpc/connect/protocol"
import { createTransport } from "@connectrpc/connect/protocol-grpc"
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect as connectHttp2,
  constants,
  type IncomingHttpHeaders
} from "node:http2"
import { connect } from "node:net"

export interface UnixGrpcTransport {
  readonly transport: Transport
  /**
   * Closes the connection, failing any call still on it. Calls after that
   * fail too, instead of opening a connection nobody would close again.
   */
  readonly close: () => void
}

/** gRPC ignores the host on a unix socket, but HTTP/2 needs an authority; Go's client sends `localhost` too. */
const baseUrl = "http://localhost"

/** Protobuf's own bound on a message; connect's default is ~4 GiB, more than a reply from containerd needs. */
const maxMessageBytes = 64 * 1024 * 1024

const closedError = (): ConnectError => new ConnectError("the client was closed", Code.Canceled)

/** A failure below gRPC, keeping the Node error (its syscall and errno) as the cause. */
const transportError = (cause: unknown): ConnectError =>
  cause instanceof ConnectError
    ? cause
    : new ConnectError(cause instanceof Error ? cause.message : String(cause), Code.Unavailable, undefined, undefined, cause)

/** Why a stream stopped early: the whole connection went (containerd exited, the socket broke) or just the stream. */
const endedError = (stream: ClientHttp2Stream, session: ClientHttp2Session): ConnectError =>
  session.destroyed
    ? new ConnectError("the connection closed during the call", Code.Unavailable)
    : new ConnectError(`the HTTP/2 stream was reset with code ${stream.rstCode ?? "unknown"}`, Code.Unavailable)

/** Node's HTTP/2 headers as fetch `Headers`, leaving out the pseudo-headers (`:status`). */
const toHeaders = (incoming: IncomingHttpHeaders, into: Headers = new Headers()): Headers => {
  for (const [name, value] of Object.entries(incoming)) {
    if (name.startsWith(":") || value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) into.append(name, String(item))
  }
  return into
}

/**
 * The response body. A stream that stops without END_STREAM fails instead of
 * ending: with the abort's reason when the call was aborted (a deadline, an
 * interruption), else as a reset or broken connection.
 */
async function* bodyOf(
  stream: ClientHttp2Stream,
  session: ClientHttp2Session,
  signal: AbortSignal | undefined
): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream) yield chunk as Uint8Array
  } catch (cause) {
    if (signal?.aborted) throw signal.reason
    throw stream.rstCode !== undefined && stream.rstCode !== 0 ? endedError(stream, session) : transportError(cause)
  }
}

/** Writes the request body, honouring back-pressure; a failure resets the stream, which fails the call. */
const sendBody = async (stream: ClientHttp2Stream, body: AsyncIterable<Uint8Array> | undefined): Promise<void> => {
  try {
    if (body !== undefined) {
      for await (const chunk of body) {
        if (!stream.write(chunk)) await new Promise((resolve) => stream.once("drain", resolve))
      }
    }
    stream.end()
  } catch (cause) {
    stream.destroy(cause instanceof Error ? cause : new Error(String(cause)))
  }
}

export const unixGrpcTransport = (socketPath: string): UnixGrpcTransport => {
  let session: ClientHttp2Session | undefined
  let closed = false
  let inFlight = 0

  const openSession = (): ClientHttp2Session => {
    if (session !== undefined && !session.closed && !session.destroyed) return session
    const fresh = connectHttp2(baseUrl, { createConnection: () => connect(socketPath) })
    // The streams carry every failure to their calls; an unheard session error would crash the process.
    fresh.on("error", () => {})
    // A server going away (containerd restarting) takes no new calls: the next one opens a new connection.
    fresh.once("goaway", () => {
      if (session === fresh) session = undefined
    })
    fresh.once("close", () => {
      if (session === fresh) session = undefined
    })
    session = fresh
    return fresh
  }

  const callStarted = (on: ClientHttp2Session) => {
    if (inFlight++ === 0) on.ref()
  }
  const callEnded = (on: ClientHttp2Session) => {
    if (--inFlight === 0 && !on.destroyed) on.unref()
  }

  const httpClient = (request: UniversalClientRequest): Promise<UniversalClientResponse> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(closedError())
      const signal = request.signal
      if (signal?.aborted) return reject(signal.reason)
      let on: ClientHttp2Session
      let stream: ClientHttp2Stream
      try {
        on = openSession()
        stream = on.request({
          ":method": request.method,
          ":path": new URL(request.url).pathname,
          ...Object.fromEntries(request.header)
        })
      } catch (cause) {
        return reject(transportError(cause))
      }
      callStarted(on)
      const trailer = new Headers()
      const onAbort = () => {
        reject(signal?.reason)
        stream.close(constants.NGHTTP2_CANCEL)
      }
      signal?.addEventListener("abort", onAbort)
      stream.once("close", () => {
        signal?.removeEventListener("abort", onAbort)
        callEnded(on)
        // Before a response, a closed stream is a failed call; after one, the body reports it.
        reject(endedError(stream, on))
      })
      stream.once("error", (cause) => reject(transportError(cause)))
      stream.on("trailers", (headers) => toHeaders(headers, trailer))
      stream.once("response", (headers) =>
        resolve({ status: Number(headers[":status"]), header: toHeaders(headers), body: bodyOf(stream, on, signal), trailer }))
      void sendBody(stream, request.body)
    })

  const transport = createTransport({
    httpClient,
    baseUrl,
    useBinaryFormat: true,
    interceptors: [],
    acceptCompression: [],
    sendCompression: null,
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    readMaxBytes: maxMessageBytes,
    writeMaxBytes: maxMessageBytes
  })

  const close = () => {
    closed = true
    session?.destroy(closedError(), constants.NGHTTP2_CANCEL)
    session = undefined
  }
  return { transport, close }
}
