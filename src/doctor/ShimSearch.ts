/**
 * How containerd finds the shim binary for a runtime name — the same in
 * containerd 1.6, 1.7 and 2.x (the runtime v2 shim manager's
 * `resolveRuntimePath`):
 *
 * 1. An absolute name is the shim itself; it must exist.
 * 2. Any other name with a `/` is refused.
 * 3. Otherwise the name must map to a binary name
 *    (`io.containerd.kata.v2` → `containerd-shim-kata-v2`, see
 *    `names/RuntimeName.ts`), which is looked for, in order, in containerd's
 *    working directory, on containerd's PATH (Go's `exec.LookPath`), and in
 *    the directory of containerd's own executable (`os.Executable`, a
 *    resolved path).
 *
 * The working directory step is not modelled: it is `/` for a containerd run
 * by systemd, and a shim there is not an installation anyone makes.
 *
 * Pure.
 */
import { posix } from "node:path"
import { shimBinaryName } from "../names/RuntimeName.ts"

export type ShimSearch =
  /** The runtime name is the path of the shim binary. */
  | { readonly _tag: "Path"; readonly path: string }
  /** containerd refuses the name. */
  | { readonly _tag: "Invalid"; readonly reason: string }
  /** `binary` is searched for on PATH, then beside containerd. */
  | { readonly _tag: "ByName"; readonly binary: string }

/** Where containerd would look for the shim of runtime name `shim`. */
export const shimSearch = (shim: string): ShimSearch => {
  if (shim.startsWith("/")) return { _tag: "Path", path: shim }
  if (shim.includes("/")) {
    return { _tag: "Invalid", reason: "a runtime name with a / must be an absolute path to the shim binary" }
  }
  const binary = shimBinaryName(shim)
  return binary === undefined
    ? { _tag: "Invalid", reason: "a runtime name must look like io.containerd.runc.v2 (or be a shim's absolute path)" }
    : { _tag: "ByName", binary }
}

/** The candidate containerd tries last: `binary` in the directory of containerd's executable. */
export const besideContainerd = (containerdPath: string, binary: string): string =>
  posix.join(posix.dirname(containerdPath), binary)
