/**
 * `serve`'s HTTP server: Effect's HTTP server on Node, on a unix socket,
 * answering the Docker Engine API subset from the managed registry.
 *
 * Each request reads the table in force once and answers from that table
 * alone, so requests served while a reload swaps tables each see one table,
 * the old or the new. Every answer, failures included, is one of
 * `EngineRender`'s: an unexpected defect becomes a 500 with one line of
 * text, never a stack trace.
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HttpServer from "effect/http/HttpServer"
import { HttpServerRequest } from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import { ManagedRegistry } from "./ManagedRegistry.ts"
import type { PathLookup } from "../host/PathLookup.ts"
import { describeNodeError } from "../host/SystemError.ts"
import { resolveRuntime } from "../registry/Preflight.ts"
import { featuresOf } from "../registry/RuntimeTable.ts"
import {
  type Answer,
  errorAnswer,
  infoAnswer,
  pageNotFound,
  pingAnswer,
  routeHeaders,
  runtimeAnswer,
  type ServerFacts,
  versionAnswer
} from "./EngineRender.ts"
import { describeDefect } from "./Defect.ts"
import { type Endpoint, route } from "./EngineRoutes.ts"
import { bindInPlace, claimSocketPath, type SocketInUse, SocketPathError, withPrivateUmask } from "./SocketFile.ts"

/** The answer of an endpoint, from one read of the table in force. */
const endpointAnswer = (
  facts: ServerFacts,
  method: string,
  endpoint: Endpoint
): Effect.Effect<Answer, never, ManagedRegistry | PathLookup> => {
  switch (endpoint._tag) {
    case "Ping":
      return Effect.succeed(pingAnswer(facts, method))
    case "Version":
      return Effect.succeed(versionAnswer(facts))
    case "Info":
      return Effect.gen(function*() {
        const inForce = yield* (yield* ManagedRegistry).current
        return infoAnswer(facts, inForce, new Date(yield* Clock.currentTimeMillis))
      })
    case "Runtime":
      return Effect.gen(function*() {
        const { table } = yield* (yield* ManagedRegistry).current
        return yield* resolveRuntime(table, endpoint.name).pipe(
          Effect.map((choice) =>
            runtimeAnswer(facts, { choice, features: featuresOf(table, choice.runtime), warnings: table.warnings })
          ),
          // dockerd's wording; an unknown name is "not found" here, a runtime that cannot run an internal error.
          Effect.catch((error) =>
            Effect.succeed(errorAnswer(error._tag === "UnknownRuntime" ? 404 : 500, error.message, routeHeaders(facts)))
          )
        )
      })
  }
}

/** The answer to `method` on `target` (the request target as sent, query included). */
const answer = (
  facts: ServerFacts,
  method: string,
  target: string
): Effect.Effect<Answer, never, ManagedRegistry | PathLookup> => {
  const routing = route(method, target)
  switch (routing._tag) {
    case "NotFound":
      return Effect.succeed(pageNotFound)
    case "BadPath":
      return Effect.succeed(errorAnswer(400, routing.message))
    case "UnsupportedVersion":
      return Effect.succeed(errorAnswer(400, routing.message, routeHeaders(facts)))
    case "Matched":
      return endpointAnswer(facts, method, routing.endpoint)
  }
}

const toResponse = ({ body, contentType, headers, status }: Answer) =>
  HttpServerResponse.text(body, { status, headers, contentType })

/** The server's request handler. */
const app = (facts: ServerFacts) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest
    return toResponse(yield* answer(facts, request.method, request.url))
  }).pipe(
    Effect.catchDefect((defect) => Effect.succeed(toResponse(errorAnswer(500, describeDefect(defect)))))
  )

/** How long a stop waits for requests in flight before closing their connections. */
const gracefulShutdownTimeout = "10 seconds"

/**
 * Requests one connection may make before Node says `Connection: close` and
 * answers each further one with a short 503 of its own, which no handler
 * renders. Node parses every request a client has already sent and keeps
 * their answers until the client reads them, so without it one client that
 * pipelines thousands of `GET /info` and reads nothing made the daemon hold
 * gigabytes; now what it holds per connection is 100 answers and small 503s.
 */
const maxRequestsPerSocket = 100

const createEngineServer = () => {
  const server = createServer()
  server.maxRequestsPerSocket = maxRequestsPerSocket
  return server
}

/**
 * Effect's HTTP server listening on the unix socket `path`, once the path is
 * claimed (a stale socket removed, a live one refused), created with mode
 * 0660. Closing it removes the socket file (only if it is still this
 * server's: see `bindInPlace`), stops accepting, and lets requests in flight
 * finish.
 */
export const listenOn = (path: string): Layer.Layer<HttpServer.HttpServer, SocketInUse | SocketPathError> =>
  Layer.effect(HttpServer.HttpServer)(
    Effect.andThen(
      claimSocketPath(path),
      bindInPlace(path, (at) =>
        withPrivateUmask(NodeHttpServer.make(createEngineServer, { path: at, gracefulShutdownTimeout })).pipe(
          Effect.mapError((error) => new SocketPathError({ path, reason: describeNodeError(error.cause) }))
        ))
    )
  )

/** The API served on `path` until the layer's scope closes. */
export const layer = (
  path: string,
  facts: ServerFacts
): Layer.Layer<never, SocketInUse | SocketPathError, ManagedRegistry | PathLookup> =>
  HttpServer.serve(app(facts)).pipe(Layer.provide(listenOn(path)))
