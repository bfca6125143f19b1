/**
 * Which handler each runtime is exported under.
 *
 * CRI runtime managers and Kubernetes select a runtime by a handler name,
 * which Kubernetes validates as a lowercase RFC 1123 DNS label. dockerd
 * accepts any runtime name, so a runtime whose name is not a label must be
 * given one (`--handler NAME=HANDLER`): the export refuses to invent it, but
 * suggests one. Every runtime is exported but the stock alias
 * `io.containerd.runc.v2`, which names `runc` again and is no label.
 *
 * Pure.
 */
import * as Result from "effect/Result"
import { configPath, Problem } from "../config/Problem.ts"
import { whyNotHandlerName } from "../doctor/RuntimeClassHandler.ts"
import { compareBytes } from "../names/ByteOrder.ts"
import { runcShimName, stockRuntimeName } from "../names/RuntimeName.ts"
import type { ResolvedRuntime, RuntimeTable } from "../registry/RuntimeTable.ts"
import { ExportError } from "./ExportError.ts"

/** A runtime of the table and the handler it is exported under. */
export interface HandledRuntime {
  readonly handler: string
  readonly runtime: ResolvedRuntime
}

const maxHandlerLength = 63

/**
 * A DNS label close to `name`, to suggest: ASCII lowercased, every run of
 * other characters one `-`, no `-` at either end, at most 63 characters.
 */
export const suggestHandler = (name: string): string => {
  const dashed = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")
  const cut = dashed.slice(0, maxHandlerLength).replace(/-+$/, "")
  return cut === "" ? "runtime" : cut
}

/** The stock alias of runc: the same runtime, under a name that is no handler. */
const isStockAlias = (runtime: ResolvedRuntime): boolean => runtime.kind === "stock" && runtime.name === runcShimName

/** The runtimes an export covers: all but the stock alias. */
export const exportedRuntimes = (table: RuntimeTable): ReadonlyArray<ResolvedRuntime> =>
  table.runtimes.filter((runtime) => !isStockAlias(runtime))

const unknownRuntimes = (runtimes: ReadonlyArray<ResolvedRuntime>, handlers: ReadonlyMap<string, string>) =>
  [...handlers.keys()].filter((name) => !runtimes.some((runtime) => runtime.name === name)).sort(compareBytes).map(
    (name) =>
      new Problem({
        path: "--handler",
        message: `${JSON.stringify(name)} is not a runtime of this configuration` +
          (name === runcShimName ? ` (the stock alias ${runcShimName} is runc, exported as ${stockRuntimeName})` : "")
      })
  )

const notLabels = (assigned: ReadonlyArray<HandledRuntime>, handlers: ReadonlyMap<string, string>) =>
  assigned.flatMap(({ handler, runtime }) => {
    const why = whyNotHandlerName(handler)
    if (why === undefined) return []
    const given = handlers.has(runtime.name)
    return [
      new Problem({
        path: given ? "--handler" : configPath(["runtimes", runtime.name]),
        message: given
          ? `handler ${JSON.stringify(handler)} for runtime ${runtime.name} is not a DNS label: ${why}`
          : `runtime ${runtime.name} is not a valid handler name (a lowercase RFC 1123 DNS label): ${why}; ` +
            `give it one with --handler ${runtime.name}=${suggestHandler(runtime.name)}`
      })
    ]
  })

const sharedHandlers = (assigned: ReadonlyArray<HandledRuntime>) => {
  const byHandler = new Map<string, Array<string>>()
  for (const { handler, runtime } of assigned) byHandler.set(handler, [...(byHandler.get(handler) ?? []), runtime.name])
  return [...byHandler].filter(([, names]) => names.length > 1).map(([handler, names]) =>
    new Problem({
      path: "--handler",
      message: `runtimes ${names.join(", ")} would all be exported as handler ${handler}: give each its own with --handler`
    })
  )
}

/**
 * Each exported runtime with its handler (its name, unless `handlers` maps
 * it to another), sorted by handler; or every runtime with the first kind
 * of trouble found: unknown names in `handlers`, then handlers that are no
 * labels, then handlers shared.
 */
export const assignHandlers = (
  table: RuntimeTable,
  handlers: ReadonlyMap<string, string>
): Result.Result<ReadonlyArray<HandledRuntime>, ExportError> => {
  const runtimes = exportedRuntimes(table)
  const unknown = unknownRuntimes(runtimes, handlers)
  if (unknown.length > 0) return Result.fail(new ExportError({ reason: "UnknownRuntime", problems: unknown }))
  const assigned = runtimes.map((runtime) => ({ handler: handlers.get(runtime.name) ?? runtime.name, runtime }))
  const invalid = notLabels(assigned, handlers)
  if (invalid.length > 0) return Result.fail(new ExportError({ reason: "NotAHandlerName", problems: invalid }))
  const shared = sharedHandlers(assigned)
  if (shared.length > 0) return Result.fail(new ExportError({ reason: "SameHandler", problems: shared }))
  return Result.succeed([...assigned].sort((left, right) => compareBytes(left.handler, right.handler)))
}

/**
 * The handler of the table's default runtime, or `undefined` when it is not
 * among the exported runtimes (a shim named directly as the default). The
 * stock alias is runc.
 */
export const defaultHandler = (table: RuntimeTable, assigned: ReadonlyArray<HandledRuntime>): string | undefined => {
  const name = assigned.some(({ runtime }) => runtime.name === table.defaultRuntime)
    ? table.defaultRuntime
    : table.runtimes.some((runtime) => runtime.name === table.defaultRuntime && isStockAlias(runtime))
    ? stockRuntimeName
    : undefined
  return assigned.find(({ runtime }) => runtime.name === name)?.handler
}
