/**
 * Everything that can go wrong talking to containerd, as one error: which
 * containerd (the socket address), which call, which container, and why —
 * containerd said no (a gRPC status, with containerd's own code and words),
 * containerd could not be reached at all, or it did not answer in time.
 */
import * as Schema from "effect/Schema"

/** containerd answered with a gRPC status other than OK. */
export const StatusReason = Schema.TaggedStruct("Status", {
  /** The gRPC status code (5 NotFound, 6 AlreadyExists, 9 FailedPrecondition…). */
  code: Schema.Number,
  /** The code's canonical gRPC name in lower snake case (`not_found`), as containerd's errdefs print it. */
  codeName: Schema.String,
  /** containerd's own message, unchanged. */
  detail: Schema.String
})

/** Nothing answered at the address: no socket file, nobody listening, permission denied, the connection dropped. */
export const UnreachableReason = Schema.TaggedStruct("Unreachable", {
  detail: Schema.String,
  /**
   * Whether the call had gone out when the connection failed: a create that
   * was sent may have taken effect in containerd although no answer came.
   */
  sent: Schema.Boolean
})

/** containerd accepted the connection but did not answer the call within the bound. */
export const TimeoutReason = Schema.TaggedStruct("Timeout", {
  millis: Schema.Number
})

export const ContainerdErrorReason = Schema.Union([StatusReason, UnreachableReason, TimeoutReason])
export type ContainerdErrorReason = typeof ContainerdErrorReason.Type

export class ContainerdError extends Schema.TaggedError<ContainerdError>()("ContainerdError", {
  /** The socket tried. */
  address: Schema.String,
  /** The call, as `Service.Method` (`Tasks.Create`). */
  operation: Schema.String,
  /** The container the call was about, when there was one. */
  containerId: Schema.optional(Schema.String),
  reason: ContainerdErrorReason
}) {
  override get message(): string {
    const about = this.containerId === undefined ? "" : ` (container ${this.containerId})`
    const reason = this.reason
    switch (reason._tag) {
      case "Status":
        return `containerd ${this.operation}${about}: ${reason.detail} (${reason.codeName})`
      case "Unreachable":
        return `cannot reach containerd at ${this.address}: ${reason.detail}`
      case "Timeout":
        return `containerd at ${this.address} did not answer ${this.operation}${about} within ${reason.millis} ms`
    }
  }
}

/**
 * Whether the call may have taken effect although it failed: it went out
 * and no answer came (a dropped connection, our deadline). A status is
 * containerd's answer, and a call that never went out did nothing.
 */
export const mayHaveTakenEffect = (error: ContainerdError): boolean =>
  error.reason._tag === "Timeout" || (error.reason._tag === "Unreachable" && error.reason.sent)

/** Whether the error is containerd's answer with this gRPC status code. */
export const hasStatus = (error: ContainerdError, code: number): boolean =>
  error.reason._tag === "Status" && error.reason.code === code

/** gRPC's canonical code names, indexed by code, as Go's `codes.Code` spells them in lower snake case. */
const codeNames: ReadonlyArray<string> = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated"
]

/** The lower-snake name of a gRPC status code (`not_found` for 5); `code_N` for a code gRPC does not define. */
export const codeName = (code: number): string => codeNames[code] ?? `code_${code}`

/** The gRPC status codes the lifecycle code reacts to. */
export const StatusCode = {
  NotFound: 5
} as const
