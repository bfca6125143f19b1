/**
 * What changed from one runtime table to the next, for the log line a reload
 * writes and for whoever listens to a registry's changes.
 *
 * A runtime has changed when anything a container would get from it differs:
 * its configuration, shim, options, wrapper script or features (an upgraded
 * binary reports other features). Warnings are not compared: they describe
 * the setup, not the runtimes.
 */
import { compareBytes } from "../names/ByteOrder.ts"
import type { CgroupDriver } from "./RuntimePlan.ts"
import type { ResolvedRuntime, RuntimeTable } from "./RuntimeTable.ts"

export interface TableDiff {
  /** Runtime names in the new table only, in byte order. */
  readonly added: ReadonlyArray<string>
  /** Runtime names in the old table only, in byte order. */
  readonly removed: ReadonlyArray<string>
  /** Runtime names in both whose resolution differs, in byte order. */
  readonly changed: ReadonlyArray<string>
  /** The default runtime's name, when it changed. */
  readonly defaultRuntime?: { readonly from: string; readonly to: string }
  /** The cgroup driver, when it changed. */
  readonly cgroupDriver?: { readonly from: CgroupDriver; readonly to: CgroupDriver }
}

/** A table is plain data (see `RuntimeTable`), so its JSON text compares what it holds. */
const sameRuntime = (left: ResolvedRuntime, right: ResolvedRuntime): boolean =>
  JSON.stringify(left) === JSON.stringify(right)

export const diffTables = (before: RuntimeTable, after: RuntimeTable): TableDiff => {
  const old = new Map(before.runtimes.map((runtime) => [runtime.name, runtime]))
  const renewed = new Map(after.runtimes.map((runtime) => [runtime.name, runtime]))
  const added = after.runtimes.filter((runtime) => !old.has(runtime.name)).map((runtime) => runtime.name)
  const removed = before.runtimes.filter((runtime) => !renewed.has(runtime.name)).map((runtime) => runtime.name)
  const changed = after.runtimes
    .filter((runtime) => {
      const previous = old.get(runtime.name)
      return previous !== undefined && !sameRuntime(previous, runtime)
    })
    .map((runtime) => runtime.name)
  return {
    added: added.sort(compareBytes),
    removed: removed.sort(compareBytes),
    changed: changed.sort(compareBytes),
    ...(before.defaultRuntime === after.defaultRuntime
      ? {}
      : { defaultRuntime: { from: before.defaultRuntime, to: after.defaultRuntime } }),
    ...(before.cgroupDriver === after.cgroupDriver
      ? {}
      : { cgroupDriver: { from: before.cgroupDriver, to: after.cgroupDriver } })
  }
}

/** Whether the two tables resolve every name alike. */
export const isUnchanged = (diff: TableDiff): boolean =>
  diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0 &&
  diff.defaultRuntime === undefined && diff.cgroupDriver === undefined

/** How many names of each kind a description lists before it only counts the rest. */
const namesListed = 10

const listNames = (names: ReadonlyArray<string>): string =>
  names.length <= namesListed
    ? names.join(", ")
    : `${names.slice(0, namesListed).join(", ")} and ${names.length - namesListed} more`

/**
 * The diff in one line, e.g. `added crun, youki; removed kata; changed
 * runc-debug; default runtime runc → crun`; a reload of thousands of runtimes
 * lists the first ten of each kind and counts the others.
 */
export const describeDiff = (diff: TableDiff): string => {
  if (isUnchanged(diff)) return "no runtime changed"
  const parts = [
    ...(diff.added.length > 0 ? [`added ${listNames(diff.added)}`] : []),
    ...(diff.removed.length > 0 ? [`removed ${listNames(diff.removed)}`] : []),
    ...(diff.changed.length > 0 ? [`changed ${listNames(diff.changed)}`] : []),
    ...(diff.defaultRuntime ? [`default runtime ${diff.defaultRuntime.from} → ${diff.defaultRuntime.to}`] : []),
    ...(diff.cgroupDriver ? [`cgroup driver ${diff.cgroupDriver.from} → ${diff.cgroupDriver.to}`] : [])
  ]
  return parts.join("; ")
}
