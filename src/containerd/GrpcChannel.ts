/**
 * gRPC unary calls over containerd's unix socket: one HTTP/2 connection,
 * opened on the first call, reused by every later one, and closed by its
 * owner.
 *
 * The gRPC framing is written here on `node:http2` rather than taken from
 * connect: connect's client builds fetch `Headers` on every call, and the
 * first use of that global loads Node's bundled undici (35–45 ms of a CLI's
 * start-up), with another 15–20 ms for connect's own client code. A unix
 * socket to a local daemon needs none of its TLS, HTTP/1, compression,
 * streaming or keep-alive pings; the messages stay @bufbuild/protobuf's.
 *
 * The connection is unref'd while no call is in flight, so a program that
 * forgets to close the channel can still exit; during a call it holds Node up.
 */
import { type DescMessage, type DescMethodUnary, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf"
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect as connectHttp2,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders
} from "node:http2"
import { connect } from "node:net"

/** The gRPC status codes this module raises itself. */
export const GrpcCode = {
  Ok: 0,
  Canceled: 1,
  Unknown: 2,
  DeadlineExceeded: 4,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  Unauthenticated: 16
} as const

/**
 * A failed call. `answered` says whether the server's reply decided it — a
 * grpc-status it sent, an HTTP status, a reply that broke the protocol — or
 * whether no usable reply came: the connection failed, the deadline passed,
 * the channel was closed.
 */
export class GrpcError extends Error {
  override readonly name = "GrpcError"
  readonly code: number
  /** The server's grpc-message (decoded) or our own words, without the code. */
  readonly rawMessage: string
  readonly answered: boolean
  constructor(code: number, rawMessage: string, answered: boolean, options?: { readonly cause?: unknown }) {
    super(rawMessage, options)
    this.code = code
    this.rawMessage = rawMessage
    this.answered = answered
  }
}

export interface UnaryCallOptions {
  /** Aborting it cancels the call: the stream is reset with CANCEL and the promise rejects with the reason. */
  readonly signal?: AbortSignal | undefined
  /** The call's deadline in milliseconds, sent to the server as `grpc-timeout` and enforced here. */
  readonly timeoutMs?: number | undefined
  /** Request metadata (lower-case names), such as `containerd-namespace`. */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/**
 * Something that makes gRPC unary calls: the unix socket's channel, or one a
 * test or an embedder supplies. It rejects with a `GrpcError`; anything else
 * it rejects with is read as "no answer".
 */
export interface GrpcChannel {
  readonly unary: <I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    options?: UnaryCallOptions
  ) => Promise<MessageShape<O>>
}

export interface UnixGrpcChannel extends GrpcChannel {
  /**
   * Closes the connection, failing any call still on it. Calls after that
   * fail too, instead of opening a connection nobody would close again.
   */
  readonly close: () => void
}

/** gRPC ignores the host on a unix socket, but HTTP/2 needs an authority; Go's client sends `localhost` too. */
const authority = "http://localhost"

/** Protobuf's own bound on a message: more than any reply from containerd needs, and a cap on what a broken reply can make us buffer. */
export const maxMessageBytes = 64 * 1024 * 1024

/** The 1-byte compressed flag and the 4-byte big-endian length before every message. */
const prefixBytes = 5

/** The HTTP/2 path of a method's calls: `/containerd.services.tasks.v1.Tasks/Create`. */
export const pathOf = (method: DescMethodUnary): string => `/${method.parent.typeName}/${method.name}`

/** A message with its length prefix, uncompressed. */
export const frame = (message: Uint8Array): Uint8Array => {
  const framed = new Uint8Array(prefixBytes + message.length)
  new DataView(framed.buffer).setUint32(1, message.length)
  framed.set(message, prefixBytes)
  return framed
}

/** `grpc-timeout`: at most 8 digits, so a long deadline goes in a coarser unit, rounded up. */
export const timeoutHeader = (millis: number): string => {
  const units: ReadonlyArray<readonly [string, number]> = [["m", 1], ["S", 1_000], ["M", 60_000], ["H", 3_600_000]]
  for (const [unit, size] of units) {
    const value = Math.ceil(millis / size)
    if (value <= 99_999_999) return `${value}${unit}`
  }
  return "99999999H"
}

/** The gRPC code an HTTP status other than 200 stands for, per gRPC's HTTP-to-gRPC mapping. */
export const codeOfHttpStatus = (status: number): number => {
  switch (status) {
    case 400:
      return GrpcCode.Internal
    case 401:
      return GrpcCode.Unauthenticated
    case 403:
      return GrpcCode.PermissionDenied
    case 404:
      return GrpcCode.Unimplemented
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcCode.Unavailable
    default:
      return GrpcCode.Unknown
  }
}

const hexValue = (charCode: number): number => {
  if (charCode >= 48 && charCode <= 57) return charCode - 48
  const lower = charCode | 0x20
  return lower >= 97 && lower <= 102 ? lower - 87 : -1
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

/**
 * `grpc-message` is percent-encoded UTF-8. Decoded leniently, as gRPC asks:
 * a `%` not followed by two hex digits stays as it is, bytes that are not
 * UTF-8 become U+FFFD, and a server that sent raw UTF-8 (which Node hands us
 * one byte per character) is read as UTF-8 too, so its words still come
 * through.
 */
export const decodeGrpcMessage = (encoded: string): string => {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(encoded)) return encoded
  const bytes: Array<number> = []
  for (let i = 0; i < encoded.length; i++) {
    const code = encoded.charCodeAt(i)
    if (code === 37 && i + 2 < encoded.length) {
      const high = hexValue(encoded.charCodeAt(i + 1))
      const low = hexValue(encoded.charCodeAt(i + 2))
      if (high >= 0 && low >= 0) {
        bytes.push(high * 16 + low)
        i += 2
        continue
      }
    }
    if (code <= 0xff) {
      bytes.push(code)
      continue
    }
    // Only a string from elsewhere than Node's headers can hold wider characters: their UTF-8.
    const point = encoded.codePointAt(i) ?? code
    if (point > 0xffff) i++
    for (const byte of utf8Encoder.encode(String.fromCodePoint(point))) bytes.push(byte)
  }
  return utf8Decoder.decode(new Uint8Array(bytes))
}

const first = (value: string | ReadonlyArray<string> | number | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === "object" ? value[0] : String(value)

const protocolError = (message: string): GrpcError => new GrpcError(GrpcCode.Internal, message, true)

/** What a call on a closed channel fails with; it never went out. */
export const closedMessage = "the client was closed"

const closedError = (): GrpcError => new GrpcError(GrpcCode.Canceled, closedMessage, false)

/** A failure below gRPC, keeping the Node error (its syscall and errno) as the cause. */
const transportError = (cause: unknown): GrpcError =>
  cause instanceof GrpcError
    ? cause
    : new GrpcError(GrpcCode.Unavailable, cause instanceof Error ? cause.message : String(cause), false, { cause })

/** Why a stream stopped early: the whole connection went (containerd exited, the socket broke) or just the stream. */
const endedError = (stream: ClientHttp2Stream, session: ClientHttp2Session): GrpcError =>
  session.destroyed
    ? new GrpcError(GrpcCode.Unavailable, "the connection closed during the call", false)
    : new GrpcError(GrpcCode.Unavailable, `the HTTP/2 stream was reset with code ${stream.rstCode ?? "unknown"}`, false)

/**
 * The reply's length-prefixed messages, read as DATA frames arrive (a frame
 * may hold part of a prefix, or several messages). A unary reply has at most
 * one message; the length is checked against the bound before any of the
 * message is buffered.
 */
class ReplyReader {
  private readonly chunks: Array<Uint8Array> = []
  private buffered = 0
  /** The length of the message being read, once its prefix is in. */
  private expected: number | undefined = undefined
  message: Uint8Array | undefined = undefined

  /** Takes a DATA frame's bytes; a protocol violation comes back as the error to fail the call with. */
  push(chunk: Uint8Array): GrpcError | undefined {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    for (;;) {
      if (this.expected === undefined) {
        if (this.buffered < prefixBytes) return undefined
        const prefix = this.take(prefixBytes)
        const flag = prefix[0]
        if (flag === 1) return protocolError("grpc: compressed flag set with identity or empty encoding")
        if (flag !== 0) return protocolError(`grpc: invalid message flag ${flag}`)
        const length = new DataView(prefix.buffer, prefix.byteOffset, prefixBytes).getUint32(1)
        if (length > maxMessageBytes) {
          return new GrpcError(
            GrpcCode.ResourceExhausted,
            `grpc: received message larger than max (${length} vs. ${maxMessageBytes})`,
            true
          )
        }
        if (this.message !== undefined) return protocolError("grpc: more than one message in a unary reply")
        this.expected = length
      }
      if (this.buffered < this.expected) return undefined
      this.message = this.take(this.expected)
      this.expected = undefined
    }
  }

  /** Whether the reply stopped inside a message or its prefix. */
  get partial(): boolean {
    return this.expected !== undefined || this.buffered > 0
  }

  private take(count: number): Uint8Array {
    const head = this.chunks[0]
    let out: Uint8Array
    if (head !== undefined && head.length >= count) {
      out = head.subarray(0, count)
      if (head.length === count) this.chunks.shift()
      else this.chunks[0] = head.subarray(count)
    } else {
      out = new Uint8Array(count)
      let filled = 0
      while (filled < count) {
        const chunk = this.chunks[0]!
        const used = Math.min(chunk.length, count - filled)
        out.set(chunk.subarray(0, used), filled)
        filled += used
        if (used === chunk.length) this.chunks.shift()
        else this.chunks[0] = chunk.subarray(used)
      }
    }
    this.buffered -= count
    return out
  }
}

/**
 * The outcome of a reply that ended normally: the status in the trailers, or
 * in the headers of a trailers-only reply; OK needs exactly one message.
 */
const outcomeOf = (
  trailers: IncomingHttpHeaders | undefined,
  headers: IncomingHttpHeaders,
  reader: ReplyReader
): GrpcError | Uint8Array => {
  const status = trailers ?? headers
  const rawCode = first(status["grpc-status"])
  if (rawCode === undefined) return protocolError("grpc: the server ended the call without a grpc-status")
  const code = /^\d+$/.test(rawCode) ? Number(rawCode) : Number.NaN
  if (!Number.isSafeInteger(code)) return protocolError(`grpc: malformed grpc-status ${JSON.stringify(rawCode)}`)
  if (code !== GrpcCode.Ok) return new GrpcError(code, decodeGrpcMessage(first(status["grpc-message"]) ?? ""), true)
  if (reader.partial) return protocolError("grpc: the reply ended inside a message")
  if (reader.message === undefined) return protocolError("grpc: the server answered OK without a message")
  return reader.message
}

export const unixGrpcChannel = (socketPath: string): UnixGrpcChannel => {
  let session: ClientHttp2Session | undefined
  let closed = false
  let inFlight = 0

  const openSession = (): ClientHttp2Session => {
    if (session !== undefined && !session.closed && !session.destroyed) return session
    const fresh = connectHttp2(authority, { createConnection: () => connect(socketPath) })
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

  const unary = <I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    options: UnaryCallOptions = {}
  ): Promise<MessageShape<O>> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(closedError())
      const { signal, timeoutMs } = options
      if (signal?.aborted) return reject(signal.reason)
      const requestHeaders: OutgoingHttpHeaders = {
        ...options.headers,
        ":method": "POST",
        ":path": pathOf(method),
        "content-type": "application/grpc+proto",
        te: "trailers"
      }
      if (timeoutMs !== undefined) requestHeaders["grpc-timeout"] = timeoutHeader(timeoutMs)
      let on: ClientHttp2Session
      let stream: ClientHttp2Stream
      try {
        const body = frame(toBinary(method.input, request))
        on = openSession()
        stream = on.request(requestHeaders)
        stream.end(body)
      } catch (cause) {
        return reject(transportError(cause))
      }
      callStarted(on)

      let settled = false
      let timer: ReturnType<typeof setTimeout> | undefined
      const settle = (outcome: GrpcError | Uint8Array | { readonly aborted: unknown }) => {
        if (settled) return
        settled = true
        if (timer !== undefined) clearTimeout(timer)
        signal?.removeEventListener("abort", onAbort)
        // A call we give up on must not go on in containerd: CANCEL tells the server to stop it.
        if (!(outcome instanceof Uint8Array) && !stream.closed) stream.close(constants.NGHTTP2_CANCEL)
        if (outcome instanceof GrpcError) return reject(outcome)
        if (outcome instanceof Uint8Array) {
          try {
            return resolve(fromBinary(method.output, outcome))
          } catch (cause) {
            return reject(protocolError(`grpc: failed to decode the reply: ${cause instanceof Error ? cause.message : cause}`))
          }
        }
        reject(outcome.aborted)
      }
      const onAbort = () => settle({ aborted: signal?.reason })
      signal?.addEventListener("abort", onAbort)
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () => settle(new GrpcError(GrpcCode.DeadlineExceeded, `the call did not end within ${timeoutMs} ms`, false)),
          timeoutMs
        )
      }

      const reader = new ReplyReader()
      let headers: IncomingHttpHeaders | undefined
      let trailers: IncomingHttpHeaders | undefined
      stream.on("error", (cause) => settle(transportError(cause)))
      /** Whether the server finished its reply: trailers came, or the headers ended the stream (trailers-only). */
      let complete = false
      let ended = false
      stream.once("end", () => (ended = true))
      stream.once("close", () => {
        callEnded(on)
        if (complete && headers !== undefined) return settle(outcomeOf(trailers, headers, reader))
        // A dropped connection ends the stream's body too: only an END_STREAM without a reset is the server's.
        const reset = (stream.rstCode ?? constants.NGHTTP2_NO_ERROR) !== constants.NGHTTP2_NO_ERROR
        if (!ended || reset || on.destroyed) return settle(endedError(stream, on))
        settle(protocolError("grpc: the server ended the call without a grpc-status"))
      })
      stream.once("response", (incoming, flags) => {
        headers = incoming
        complete = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0
        const status = Number(incoming[":status"])
        if (status !== 200) {
          return settle(
            new GrpcError(codeOfHttpStatus(status), `unexpected HTTP status code received from server: ${status}`, true)
          )
        }
        const contentType = first(incoming["content-type"]) ?? ""
        if (!contentType.startsWith("application/grpc")) {
          settle(protocolError(`grpc: unexpected content-type ${JSON.stringify(contentType)}`))
        }
      })
      stream.on("data", (chunk: Uint8Array) => {
        if (settled) return
        const violation = reader.push(chunk)
        if (violation !== undefined) settle(violation)
      })
      stream.once("trailers", (incoming) => {
        trailers = incoming
        complete = true
      })
    })

  const close = () => {
    closed = true
    session?.destroy(closedError(), constants.NGHTTP2_CANCEL)
    session = undefined
  }
  return { unary, close }
}
