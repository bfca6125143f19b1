/**
 * The client's own gRPC framing, checked against replies written by hand on
 * the fake's HTTP/2 streams: the ones connect's server would never send
 * (split frames, trailers-only errors, HTTP errors, broken replies).
 */
import { create, toBinary } from "@bufbuild/protobuf"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2"
import { Tasks } from "../../src/containerd/api/containerd/services/tasks/v1/tasks_pb.ts"
import { Version, VersionResponseSchema } from "../../src/containerd/api/containerd/services/version/v1/version_pb.ts"
import { ContainerdClient, type ContainerdClientOptions, layer } from "../../src/containerd/ContainerdClient.ts"
import { decodeGrpcMessage, maxMessageBytes, timeoutHeader } from "../../src/containerd/GrpcChannel.ts"
import * as FakeContainerd from "./FakeContainerd.ts"

const clientOf = (options: ContainerdClientOptions) =>
  Layer.build(layer(options)).pipe(Effect.map(Context.get(ContainerdClient)))

/** A gRPC length prefix, written here independently of the client's own framing. */
const prefix = (length: number, flag = 0): Uint8Array => {
  const bytes = Buffer.alloc(5)
  bytes.writeUInt8(flag, 0)
  bytes.writeUInt32BE(length, 1)
  return bytes
}

const versionReply = toBinary(VersionResponseSchema, create(VersionResponseSchema, { version: "1.7.0", revision: "abc" }))

/** A fake whose Version call is answered by `answer`. */
const versionAnsweredBy = (answer: (request: Http2ServerRequest, response: Http2ServerResponse) => void) =>
  FakeContainerd.make({ raw: [[Version.method.version, answer]] }).pipe(
    Effect.flatMap((fake) => clientOf({ address: fake.address }))
  )

const ok = { "grpc-status": "0" }

describe("the gRPC framing", () => {
  it.live("a reply message split across several DATA frames is read whole", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) =>
        FakeContainerd.replyInFrames(response, [
          prefix(versionReply.length),
          versionReply.subarray(0, 3),
          versionReply.subarray(3, 7),
          versionReply.subarray(7)
        ], ok)
      )
      const answer = yield* client.version
      expect(answer.version).toBe("1.7.0")
      expect(answer.revision).toBe("abc")
    }))

  it.live("a length prefix split across DATA frames is read whole", () =>
    Effect.gen(function*() {
      const framed = Buffer.concat([prefix(versionReply.length), versionReply])
      const client = yield* versionAnsweredBy((_request, response) =>
        FakeContainerd.replyInFrames(response, [framed.subarray(0, 1), framed.subarray(1, 3), framed.subarray(3)], ok)
      )
      expect((yield* client.version).version).toBe("1.7.0")
    }))

  it.live("a trailers-only error reply is containerd's status", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) =>
        response.stream.respond({
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": "5",
          "grpc-message": "no%20such%20thing"
        }, { endStream: true })
      )
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toEqual({ _tag: "Status", code: 5, codeName: "not_found", detail: "no such thing" })
    }))

  it.live("grpc-message is percent-decoded as UTF-8", () =>
    Effect.gen(function*() {
      const words = "100% sûr — ✓ naïve"
      const client = yield* versionAnsweredBy((_request, response) =>
        FakeContainerd.replyInFrames(response, [], { "grpc-status": "9", "grpc-message": encodeURIComponent(words) })
      )
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toMatchObject({ _tag: "Status", code: 9, detail: words })
    }))

  it.live("a grpc-message sent as raw UTF-8 rather than percent-encoded still reads as UTF-8", () =>
    Effect.gen(function*() {
      const words = "état: déjà vu ✓"
      const client = yield* versionAnsweredBy((_request, response) =>
        // Node writes a header's string one byte per character, so latin1 puts the UTF-8 bytes on the wire as they are.
        FakeContainerd.replyInFrames(response, [], {
          "grpc-status": "2",
          "grpc-message": Buffer.from(words, "utf8").toString("latin1")
        })
      )
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toMatchObject({ _tag: "Status", code: 2, detail: words })
    }))

  it("characters beyond Latin-1 in a message from another channel are kept", () => {
    expect(decodeGrpcMessage("100%25 ✓ 🐳")).toBe("100% ✓ 🐳")
  })

  it("a percent sign not followed by two hex digits is kept as sent", () => {
    expect(decodeGrpcMessage("50%zz off, 7%")).toBe("50%zz off, 7%")
  })

  it.live("HTTP 404 for a path the server does not know fails with unimplemented", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) => {
        response.writeHead(404, { "content-type": "text/plain" })
        response.end("404 page not found\n")
      })
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toEqual({
        _tag: "Status",
        code: 12,
        codeName: "unimplemented",
        detail: "unexpected HTTP status code received from server: 404"
      })
    }))

  it.live("HTTP 503 fails with unavailable", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) => {
        response.writeHead(503)
        response.end()
      })
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toMatchObject({ _tag: "Status", code: 14, codeName: "unavailable" })
    }))

  it.live("a reply with no grpc-status fails with internal", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) =>
        FakeContainerd.replyInFrames(response, [prefix(versionReply.length), versionReply], { "x-other": "1" })
      )
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toEqual({
        _tag: "Status",
        code: 13,
        codeName: "internal",
        detail: "grpc: the server ended the call without a grpc-status"
      })
    }))

  it.live("a reply without trailers fails with internal", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) =>
        FakeContainerd.replyInFrames(response, [prefix(versionReply.length), versionReply])
      )
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toMatchObject({ _tag: "Status", code: 13 })
    }))

  it.live("a compressed message, with no encoding negotiated, fails with internal", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) =>
        FakeContainerd.replyInFrames(response, [prefix(versionReply.length, 1), versionReply], ok)
      )
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toEqual({
        _tag: "Status",
        code: 13,
        codeName: "internal",
        detail: "grpc: compressed flag set with identity or empty encoding"
      })
    }))

  it.live("a message longer than the bound fails with resource_exhausted before any of it is read", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) =>
        // Only the prefix is sent: the client must refuse on the length alone.
        FakeContainerd.replyInFrames(response, [prefix(maxMessageBytes + 1)])
      )
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toEqual({
        _tag: "Status",
        code: 8,
        codeName: "resource_exhausted",
        detail: `grpc: received message larger than max (${maxMessageBytes + 1} vs. ${maxMessageBytes})`
      })
    }))

  it.live("a reply that ends inside its message fails with internal", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) =>
        FakeContainerd.replyInFrames(response, [prefix(versionReply.length), versionReply.subarray(0, 4)], ok)
      )
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toMatchObject({ _tag: "Status", code: 13, detail: "grpc: the reply ended inside a message" })
    }))

  it.live("an OK reply without a message fails with internal", () =>
    Effect.gen(function*() {
      const client = yield* versionAnsweredBy((_request, response) => FakeContainerd.replyInFrames(response, [], ok))
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toMatchObject({
        _tag: "Status",
        code: 13,
        detail: "grpc: the server answered OK without a message"
      })
    }))

  it.live("a unary reply with two messages fails with internal", () =>
    Effect.gen(function*() {
      const message = Buffer.concat([prefix(versionReply.length), versionReply])
      const client = yield* versionAnsweredBy((_request, response) =>
        FakeContainerd.replyInFrames(response, [message, message], ok)
      )
      const error = yield* Effect.flip(client.version)
      expect(error.reason).toMatchObject({ _tag: "Status", code: 13 })
    }))

  it.live("a bounded call sends its bound as grpc-timeout in milliseconds", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make()
      const client = yield* clientOf({ address: fake.address, callTimeout: "1500 millis" })
      yield* Effect.ignore(client.version)
      expect(fake.calls.map((call) => call.timeout)).toEqual(["1500m"])
    }))

  it.live("waitTask sends no grpc-timeout", () =>
    Effect.gen(function*() {
      const fake = yield* FakeContainerd.make()
      const client = yield* clientOf({ address: fake.address })
      yield* Effect.ignore(client.waitTask("c"))
      expect(fake.calls.map((call) => [call.path, call.timeout])).toEqual([[FakeContainerd.pathOf(Tasks.method.wait), undefined]])
    }))

  it("a bound too long for 8 digits of milliseconds is sent in seconds, rounded up", () => {
    expect(timeoutHeader(123_456_789)).toBe("123457S")
  })
})
