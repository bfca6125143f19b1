/**
 * exec-opts: `key=value` options for the container runtime. On Linux dockerd
 * reads one of them, `native.cgroupdriver`.
 *
 * As in dockerd, keys match case-insensitively and both sides are trimmed.
 * An entry that is not `key=value` (no `=`, or nothing on one side) is a
 * problem: dockerd before 28 skipped such entries silently on Linux, hiding typos
 * in the cgroup driver, and dockerd 28 refuses them too. Unknown keys are
 * ignored, as dockerd before 28 ignores them on Linux, but with a warning, since
 * dockerd 28 refuses them.
 *
 * The options are validated after the flags are applied, so `exec-opts[i]`
 * indexes the merged list, which is the file's or the flags', never both.
 */
import { ConfigWarning, configPath, Problem } from "./Problem.ts"

/** The exec-opt that picks the cgroup driver. */
export const cgroupDriverKey = "native.cgroupdriver"

/** `key=value` with the key lowercased, or `undefined` for anything else. */
const parseExecOpt = (entry: string): { readonly key: string; readonly value: string } | undefined => {
  const separator = entry.indexOf("=")
  if (separator < 0) return undefined
  const key = entry.slice(0, separator).trim().toLowerCase()
  const value = entry.slice(separator + 1).trim()
  return key === "" || value === "" ? undefined : { key, value }
}

/**
 * The `native.cgroupdriver` value as written, or `undefined` when none is set.
 * The last one wins, as in dockerd 28. The value is not checked here; see
 * `execOptProblems`.
 */
export const cgroupDriverOption = (execOpts: ReadonlyArray<string>): string | undefined =>
  execOpts.map(parseExecOpt).findLast((option) => option?.key === cgroupDriverKey)?.value

/** Why dockerd refuses a cgroup driver, or `undefined` if it accepts it. */
const cgroupDriverProblem = (driver: string): string | undefined => {
  switch (driver) {
    case "cgroupfs":
    case "systemd":
      return undefined
    case "none":
      return `${cgroupDriverKey} option none is internally used and cannot be specified manually`
    default:
      return `${cgroupDriverKey} option ${driver} not supported`
  }
}

/** dockerd 28's complaint about a key Linux does not know, noting it is ignored here. */
const unknownKeyWarning = (key: string): string =>
  `${key === "isolation" ? "option 'isolation' is only supported on windows" : `unknown option: '${key}'`} (ignored)`

interface Finding {
  readonly kind: "problem" | "warning"
  readonly path: string
  readonly message: string
}

/** What is wrong, or suspicious, about each entry, in order, each at its `exec-opts[i]`. */
const findings = (execOpts: ReadonlyArray<string>): Array<Finding> =>
  execOpts.flatMap((entry, index): Array<Finding> => {
    const path = configPath(["exec-opts", index])
    const option = parseExecOpt(entry)
    if (option === undefined) {
      return [{ kind: "problem", path, message: `unable to parse key/value option: ${entry}` }]
    }
    if (option.key !== cgroupDriverKey) return [{ kind: "warning", path, message: unknownKeyWarning(option.key) }]
    const message = cgroupDriverProblem(option.value)
    return message === undefined ? [] : [{ kind: "problem", path, message }]
  })

/** Why dockerd would refuse `execOpts`: none when it would start with them. */
export const execOptProblems = (execOpts: ReadonlyArray<string>): ReadonlyArray<Problem> =>
  findings(execOpts).flatMap(({ kind, message, path }) => kind === "problem" ? [new Problem({ path, message })] : [])

/** The options dockerd ignores on Linux, which are most likely mistakes. */
export const execOptWarnings = (execOpts: ReadonlyArray<string>): ReadonlyArray<ConfigWarning> =>
  findings(execOpts).flatMap(({ kind, message, path }) =>
    kind === "warning" ? [new ConfigWarning({ path, message })] : []
  )
