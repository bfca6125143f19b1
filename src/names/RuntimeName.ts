/**
 * Runtime names: the stock ones, and which other names may be handed to
 * containerd as they are.
 */

/** The name every Docker installation knows; an administrator cannot redefine it. */
export const stockRuntimeName = "runc"

/** containerd's runc shim (v2 runtime API), also usable as a runtime name. */
export const runcShimName = "io.containerd.runc.v2"

/** containerd's Windows shim, whose options are hcsshim's `runhcs` options. */
export const runhcsShimName = "io.containerd.runhcs.v1"

/** Names that resolve to runc through the runc shim without any configuration. */
export const stockRuntimeNames: ReadonlyArray<string> = [stockRuntimeName, runcShimName]

const isAbsolute = (name: string): boolean => name.startsWith("/")

/**
 * The shim binary containerd starts for a runtime name, following containerd's
 * binary naming convention: `io.containerd.runc.v2` → `containerd-shim-runc-v2`,
 * built from the last two dot-separated parts. `undefined` when containerd
 * would not accept the name: it has no `.`, or nothing before its first `.`.
 *
 * Like containerd, a name such as `a..` is accepted and maps to
 * `containerd-shim--` (dockerd's comment says `containerd-shim---`, but the
 * format has one dash per part): the check is about shape, not about whether
 * such a binary exists.
 */
export const shimBinaryName = (name: string): string | undefined => {
  const parts = name.split(".")
  if (parts.length < 2 || parts[0] === "") return undefined
  return `containerd-shim-${parts[parts.length - 2]}-${parts[parts.length - 1]}`
}

/**
 * Whether `name` may be passed to containerd verbatim as a runtime name.
 *
 * containerd treats an absolute name, and in practice any name with a `/`, as
 * the path of a shim binary to execute. Runtime names come from API clients,
 * and letting them pick any binary on the host to run as root would turn the
 * runtime name into a new way to run arbitrary code, so such names are refused
 * here. Administrators who need a custom shim install it on PATH under the
 * `containerd-shim-<name>-<version>` convention, or configure it explicitly
 * with `runtimeType`.
 */
export const isPermissibleContainerdRuntimeName = (name: string): boolean =>
  !isAbsolute(name) && !name.includes("/") && shimBinaryName(name) !== undefined
