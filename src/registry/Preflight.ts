/**
 * The check made every time a runtime is chosen, before it is handed to
 * containerd.
 *
 * A runtime with `runtimeArgs` reaches the shim through a wrapper script. If
 * the binary behind the script has gone, the script still exists and the
 * failure would surface deep inside the shim, long after the API call; looking
 * the binary up first turns that into a clear error, worded as dockerd's.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { PathLookup } from "../host/PathLookup.ts"
import { chooseRuntime, type RuntimeChoice, type RuntimeTable, type UnknownRuntime } from "./RuntimeTable.ts"

/** The binary behind a wrapper script no longer resolves. */
export class RuntimePathLookupError extends Schema.TaggedError<RuntimePathLookupError>()("RuntimePathLookupError", {
  runtime: Schema.String,
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `error while looking up the specified runtime path: ${this.reason}`
  }
}

/** Passes a choice whose binary still resolves, or fails naming the runtime and path. */
export const preflight = (choice: RuntimeChoice): Effect.Effect<RuntimeChoice, RuntimePathLookupError, PathLookup> =>
  choice.preflightPath === undefined
    ? Effect.succeed(choice)
    : Effect.flatMap(PathLookup, (lookup) => lookup.lookPath(choice.preflightPath!)).pipe(
      Effect.as(choice),
      Effect.mapError(({ file, reason }) => new RuntimePathLookupError({ runtime: choice.runtime, path: file, reason }))
    )

/** `get` in one step: choose the runtime for a name in a table, then check it. */
export const resolveRuntime = (
  table: RuntimeTable,
  name: string
): Effect.Effect<RuntimeChoice, UnknownRuntime | RuntimePathLookupError, PathLookup> =>
  Effect.flatMap(Effect.fromResult(chooseRuntime(table, name)), preflight)
