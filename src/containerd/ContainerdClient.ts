/**
 * A containerd client: the calls oci-runtimes needs from containerd's Version,
 * Containers and Tasks services, over containerd's unix socket with gRPC.
 *
 * Every call carries the `containerd-namespace` header of the namespace the
 * client was made for, and every call but `Tasks.Wait` (which lasts as long as
 * the container runs) is bounded in time. Interrupting a call cancels it.
 */
import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { getSystemErrorMessage } from "node:util"
import { socketPathOf } from "./Address.ts"
import {
  type Container,
  Containers,
  ContainerSchema
} from "./api/containerd/services/containers/v1/containers_pb.ts"
import {
  type CreateTaskRequestSchema,
  type CreateTaskResponse,
  type DeleteResponse,
  Tasks,
  type WaitResponse
} from "./api/containerd/services/tasks/v1/tasks_pb.ts"
import { Version, type VersionResponse } from "./api/containerd/services/version/v1/version_pb.ts"
import { type Process, ProcessSchema } from "./api/containerd/types/task/task_pb.ts"
import { codeName, ContainerdError, type ContainerdErrorReason } from "./ContainerdError.ts"
import { closedMessage, type GrpcChannel, GrpcCode, GrpcError, unixGrpcChannel } from "./GrpcChannel.ts"

export interface ContainerdClient {
  /** The socket path this client talks to (without any `unix://`). */
  readonly address: string
  /** The containerd namespace of every call. */
  readonly namespace: string

  readonly version: Effect.Effect<VersionResponse, ContainerdError>

  readonly createContainer: (container: MessageInitShape<typeof ContainerSchema>) => Effect.Effect<Container, ContainerdError>
  readonly getContainer: (id: string) => Effect.Effect<Container, ContainerdError>
  /** Containers matching any of containerd's filter expressions (all of them when none). */
  readonly listContainers: (filters?: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Container>, ContainerdError>
  readonly deleteContainer: (id: string) => Effect.Effect<void, ContainerdError>

  /**
   * Starts the container's shim and creates (not starts) its init process.
   *
   * Leave `options` empty: the shim's options belong in the container's
   * `runtime.options` only. containerd 2.x reads options on this request as
   * runc's whatever the shim, which breaks every other shim; 1.x prefers them
   * to the container's, so two copies could disagree.
   */
  readonly createTask: (
    request: MessageInitShape<typeof CreateTaskRequestSchema>
  ) => Effect.Effect<CreateTaskResponse, ContainerdError>
  /** Starts the init process; its pid. */
  readonly startTask: (containerId: string) => Effect.Effect<number, ContainerdError>
  /** Waits for the init process to exit, however long that takes. */
  readonly waitTask: (containerId: string) => Effect.Effect<WaitResponse, ContainerdError>
  readonly killTask: (
    containerId: string,
    signal: number,
    options?: { readonly all?: boolean }
  ) => Effect.Effect<void, ContainerdError>
  readonly deleteTask: (containerId: string) => Effect.Effect<DeleteResponse, ContainerdError>
  readonly getTask: (containerId: string) => Effect.Effect<Process, ContainerdError>
  readonly listTasks: Effect.Effect<ReadonlyArray<Process>, ContainerdError>
}

export const ContainerdClient: Context.Service<ContainerdClient, ContainerdClient> = Context.Service<ContainerdClient>(
  "oci-runtimes/ContainerdClient"
)

/** Where and how to reach containerd. */
export interface ContainerdClientOptions {
  /**
   * containerd's gRPC socket, as a path or as `unix://` and the path (as `ctr
   * --address` takes it); `/run/containerd/containerd.sock` by default.
   */
  readonly address?: string
  /** The containerd namespace; `default` by default. */
  readonly namespace?: string
  /** How long any call but `Tasks.Wait` may take; 10 s by default. */
  readonly callTimeout?: Duration.Input
}

export const defaultAddress = "/run/containerd/containerd.sock"
export const defaultNamespace = "default"

/** The bound on every call but `Tasks.Wait` when none is given. */
export const defaultCallTimeout: Duration.Duration = Duration.seconds(10)

/** The header containerd reads the namespace of a call from. */
const namespaceHeader = "containerd-namespace"

/** What a failed call is reported with. */
interface CallSite {
  readonly operation: string
  readonly containerId: string | undefined
  /** The bound the call ran under; `undefined` for an unbounded one. */
  readonly timeoutMillis: number | undefined
}

/** A bound the channel can enforce: a positive, finite number of milliseconds, or none. */
const boundMillis = (timeout: Duration.Input): number | undefined => {
  const millis = Duration.toMillis(timeout)
  return millis > 0 && Number.isFinite(millis) ? Math.ceil(millis) : undefined
}

/** `Tasks.Create`: the service and method as containerd's own logs and errors name them. */
const operationOf = (method: DescMethodUnary): string => `${method.parent.name}.${method.name}`

interface SystemCause {
  readonly syscall: string
  readonly errno: number
}

/** The first Node system error (one with a syscall and an errno) in the chain of causes. */
const systemCause = (error: unknown): SystemCause | undefined => {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    const { syscall, errno } = cause as { readonly syscall?: unknown; readonly errno?: unknown }
    if (typeof syscall === "string" && typeof errno === "number") return { syscall, errno }
    cause = cause.cause
  }
  return undefined
}

/**
 * Why nothing answered, in the words of Go's gRPC dialer where it has some
 * (`dial unix /run/containerd/containerd.sock: connect: no such file or
 * directory`), so the message reads as `ctr`'s does and can be searched for.
 */
const unreachableDetail = (address: string, error: GrpcError): string => {
  const system = systemCause(error)
  if (system === undefined) return error.rawMessage
  const text = getSystemErrorMessage(system.errno)
  return system.syscall === "connect" ? `dial unix ${address}: connect: ${text}` : `${system.syscall}: ${text}`
}

/** A call fails before it goes out when the socket cannot be connected to, or the client was closed. */
const wasSent = (error: GrpcError): boolean =>
  systemCause(error)?.syscall !== "connect" && error.rawMessage !== closedMessage

/**
 * Sorts a failure: a status containerd's reply decided is containerd's answer;
 * a deadline the channel raised itself is our bound running out (containerd's
 * own `deadline_exceeded` comes in its reply, so it stays a status); anything
 * else means no answer came back.
 */
const reasonOf = (address: string, site: CallSite, error: GrpcError): ContainerdErrorReason => {
  if (error.answered) {
    return { _tag: "Status", code: error.code, codeName: codeName(error.code), detail: error.rawMessage }
  }
  if (error.code === GrpcCode.DeadlineExceeded && site.timeoutMillis !== undefined) {
    return { _tag: "Timeout", millis: site.timeoutMillis }
  }
  return { _tag: "Unreachable", detail: unreachableDetail(address, error), sent: wasSent(error) }
}

const toContainerdError = (address: string, site: CallSite, cause: unknown): ContainerdError =>
  new ContainerdError({
    address,
    operation: site.operation,
    ...(site.containerId === undefined ? {} : { containerId: site.containerId }),
    reason: reasonOf(address, site, asGrpcError(cause))
  })

/** What another channel rejected with, read as "no answer" unless it is a `GrpcError`. */
const asGrpcError = (cause: unknown): GrpcError =>
  cause instanceof GrpcError
    ? cause
    : new GrpcError(GrpcCode.Unknown, cause instanceof Error ? cause.message : String(cause), false, { cause })

/** Options of `make`: the address is only reported (the channel decides where calls go). */
export interface MakeOptions {
  /** Named in errors and exposed as `client.address`; `/run/containerd/containerd.sock` by default. */
  readonly address?: string
  readonly namespace?: string
  readonly callTimeout?: Duration.Input
}

/**
 * A client over any gRPC channel: the unix socket's (`layer`), or one a test
 * or an embedder supplies, such as handlers answering in memory. The
 * channel's lifetime is the caller's.
 */
export const make = (channel: GrpcChannel, options: MakeOptions = {}): ContainerdClient => {
  const address = options.address ?? defaultAddress
  const namespace = options.namespace ?? defaultNamespace
  const timeoutMillis = boundMillis(options.callTimeout ?? defaultCallTimeout)
  const headers: Record<string, string> = { [namespaceHeader]: namespace }

  /** One unary call: bounded unless told otherwise, aborted when the fiber is interrupted, every failure typed. */
  const call = <I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    containerId?: string,
    bounded = true
  ): Effect.Effect<MessageShape<O>, ContainerdError> => {
    const site: CallSite = {
      operation: operationOf(method),
      containerId,
      timeoutMillis: bounded ? timeoutMillis : undefined
    }
    return Effect.tryPromise({
      try: (signal) =>
        channel.unary(method, create(method.input, input), { signal, timeoutMs: site.timeoutMillis, headers }),
      catch: (cause) => toContainerdError(address, site, cause)
    })
  }

  return {
    address,
    namespace,
    version: call(Version.method.version, {}),
    createContainer: (container) =>
      call(Containers.method.create, { container }, container.id).pipe(
        Effect.map((response) => response.container ?? create(ContainerSchema))
      ),
    getContainer: (id) =>
      call(Containers.method.get, { id }, id).pipe(
        Effect.map((response) => response.container ?? create(ContainerSchema))
      ),
    listContainers: (filters = []) =>
      call(Containers.method.list, { filters: [...filters] }).pipe(Effect.map((response) => response.containers)),
    deleteContainer: (id) => Effect.asVoid(call(Containers.method.delete, { id }, id)),
    createTask: (request) => call(Tasks.method.create, request, request.containerId),
    startTask: (containerId) =>
      call(Tasks.method.start, { containerId }, containerId).pipe(Effect.map((response) => response.pid)),
    waitTask: (containerId) => call(Tasks.method.wait, { containerId }, containerId, false),
    killTask: (containerId, signal, killOptions) =>
      Effect.asVoid(call(Tasks.method.kill, { containerId, signal, all: killOptions?.all ?? false }, containerId)),
    deleteTask: (containerId) => call(Tasks.method.delete, { containerId }, containerId),
    getTask: (containerId) =>
      call(Tasks.method.get, { containerId }, containerId).pipe(
        Effect.map((response) => response.process ?? create(ProcessSchema))
      ),
    listTasks: call(Tasks.method.list, {}).pipe(Effect.map((response) => response.tasks))
  }
}

/**
 * The client on containerd's unix socket. The connection opens on the first
 * call (building the layer does no I/O, so it cannot fail) and closes with
 * the layer's scope, failing any call still running: nothing is left to keep
 * Node alive once the program is done.
 */
export const layer = (options: ContainerdClientOptions = {}): Layer.Layer<ContainerdClient> => {
  // Errors and `client.address` name the socket itself, as Go's dialer does after stripping `unix://`.
  const address = socketPathOf(options.address ?? defaultAddress)
  return Layer.effect(ContainerdClient)(
    Effect.map(
      Effect.acquireRelease(Effect.sync(() => unixGrpcChannel(address)), (channel) => Effect.sync(channel.close)),
      (channel) => make(channel, { ...options, address })
    )
  )
}
