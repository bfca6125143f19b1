/**
 * Global runc flags in a runtime's `runtimeArgs` that never take effect.
 *
 * A `path` runtime's wrapper script runs `<path> <runtimeArgs…> "$@"`, and
 * containerd's runc shim (through go-runc) puts its own global flags first in
 * `"$@"`: `--root <Root>/<namespace>`, `--log <bundle>/log.json` and
 * `--log-format json` on every call, before the subcommand. runc's flag
 * parser keeps the last value given for a flag, so the shim's values replace
 * the configured ones (moby/moby#37730: a `--root` in runtimeArgs is ignored).
 * Boolean flags such as `--debug` or `--systemd-cgroup` are not affected: the
 * shim never turns them off.
 *
 * Pure: no effects, only the arguments as configured.
 */

/** A flag the runc shim always passes itself, after the configured runtimeArgs. */
export type OverriddenFlag = "root" | "log" | "log-format"

const overriddenFlags: ReadonlyArray<OverriddenFlag> = ["root", "log", "log-format"]

/** One use of an overridden flag in runtimeArgs. */
export interface OverriddenArg {
  readonly flag: OverriddenFlag
  /** The index in runtimeArgs of the flag itself. */
  readonly index: number
  /** The value given, `undefined` when the flag is the last argument (it would then take the shim's first word). */
  readonly value: string | undefined
  /** How many arguments the flag and its value take up: 1 for `--root=X` (or a trailing `--root`), else 2. */
  readonly span: 1 | 2
}

/**
 * The flag named by `arg`, in any of the spellings Go's flag parsing accepts
 * (`--root`, `-root`, each also as `--root=X`), with its inline value.
 */
const parseFlag = (arg: string): { readonly flag: OverriddenFlag; readonly inline: string | undefined } | undefined => {
  const body = arg.startsWith("--") ? arg.slice(2) : arg.startsWith("-") ? arg.slice(1) : undefined
  if (body === undefined) return undefined
  const equals = body.indexOf("=")
  const name = equals === -1 ? body : body.slice(0, equals)
  const flag = overriddenFlags.find((candidate) => candidate === name)
  if (flag === undefined) return undefined
  return { flag, inline: equals === -1 ? undefined : body.slice(equals + 1) }
}

/**
 * Every overridden flag in `args`, in order. `--root X` takes the next
 * argument as its value; `--` ends the flags, as it does for runc.
 */
export const overriddenArgs = (args: ReadonlyArray<string>): ReadonlyArray<OverriddenArg> => {
  const found: Array<OverriddenArg> = []
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!
    if (arg === "--") break
    const parsed = parseFlag(arg)
    if (parsed === undefined) continue
    if (parsed.inline !== undefined) {
      found.push({ flag: parsed.flag, index, value: parsed.inline, span: 1 })
    } else {
      const value = args[index + 1]
      found.push({ flag: parsed.flag, index, value, span: value === undefined ? 1 : 2 })
      index++
    }
  }
  return found
}
