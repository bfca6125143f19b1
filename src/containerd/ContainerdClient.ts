/**
 * A containerd client: the calls oci-runtimes needs from containerd's Version,
 * Containers and Tasks services, over containerd's unix socket with gRPC.
 *
 * Every call carries the `containerd-namespace` header of the namespace the
 * client was made for, and every call but `Tasks.Wait` (which lasts as long as
 * the container runs) is bounded in time. Interrupting a call cancels it.
 */
import type { MessageInitShape } from "@bufbuild/protobuf"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { Container, ContainerSchema } from "./api/containerd/services/containers/v1/containers_pb.ts"
import type {
  CreateTaskRequestSchema,
  CreateTaskResponse,
  DeleteResponse,
  WaitResponse
} from "./api/containerd/services/tasks/v1/tasks_pb.ts"
import type { VersionResponse } from "./api/containerd/services/version/v1/version_pb.ts"
import type { Process } from "./api/containerd/types/task/task_pb.ts"
import type { ContainerdError } from "./ContainerdError.ts"

export interface ContainerdClient {
  /** The socket this client talks to. */
  readonly address: string
  /** The containerd namespace of every call. */
  readonly namespace: string

  readonly version: Effect.Effect<VersionResponse, ContainerdError>

  readonly createContainer: (container: MessageInitShape<typeof ContainerSchema>) => Effect.Effect<Container, ContainerdError>
  readonly getContainer: (id: string) => Effect.Effect<Container, ContainerdError>
  /** Containers matching any of containerd's filter expressions (all of them when none). */
  readonly listContainers: (filters?: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Container>, ContainerdError>
  readonly deleteContainer: (id: string) => Effect.Effect<void, ContainerdError>

  /** Starts the container's shim and creates (not starts) its init process. */
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
  /** containerd's gRPC socket; `/run/containerd/containerd.sock` by default. */
  readonly address?: string
  /** The containerd namespace; `default` by default. */
  readonly namespace?: string
  /** How long any call but `Tasks.Wait` may take; 10 s by default. */
  readonly callTimeout?: Duration.Input
}

export const defaultAddress = "/run/containerd/containerd.sock"
export const defaultNamespace = "default"
