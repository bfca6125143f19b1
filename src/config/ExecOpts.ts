/**
 * exec-opts: `key=value` options for the container runtime. On Linux dockerd
 * reads one of them, `native.cgroupdriver`.
 *
 * As in dockerd (2023): entries are split at the first `=`, key and value
 * trimmed, and the key matched case-insensitively; the first
 * `native.cgroupdriver` decides and an empty value means "not set". Later
 * ones are ignored by dockerd, and reported here as warnings.
 *
 * Stricter than dockerd, which skips malformed entries silently on Linux: an
 * entry without `=` is a problem, since it is most likely a mistyped cgroup
 * driver. Unknown keys are accepted, as dockerd accepts them on Linux, with a
 * warning.
 *
 * The options are validated after the flags are applied, so `exec-opts[i]`
 * indexes the merged list, which is the file's or the flags', never both.
 */
import { ConfigWarning, configPath, Problem } from "./Problem.ts"

/** The exec-opt that picks the cgroup driver. */
export const cgroupDriverKey = "native.cgroupdriver"

interface ExecOpt {
  /** Lowercased. */
  readonly key: string
  readonly value: string
}

/** `key=value`, or `undefined` when there is no `=`. */
const parseExecOpt = (entry: string): ExecOpt | undefined => {
  const separator = entry.indexOf("=")
  if (separator < 0) return undefined
  return { key: entry.slice(0, separator).trim().toLowerCase(), value: entry.slice(separator + 1).trim() }
}

/** The index of the `native.cgroupdriver` entry dockerd reads: the first. */
const cgroupDriverIndex = (execOpts: ReadonlyArray<string>): number =>
  execOpts.findIndex((entry) => parseExecOpt(entry)?.key === cgroupDriverKey)

/**
 * The cgroup driver asked for, or `undefined` when none is (no
 * `native.cgroupdriver`, or an empty value). The value is not checked here;
 * see `execOptProblems`.
 */
export const cgroupDriverOption = (execOpts: ReadonlyArray<string>): string | undefined => {
  const index = cgroupDriverIndex(execOpts)
  const value = index < 0 ? "" : parseExecOpt(execOpts[index]!)!.value
  return value === "" ? undefined : value
}

/** Why dockerd refuses a cgroup driver, or `undefined` if it accepts it. */
const cgroupDriverProblem = (driver: string): string | undefined => {
  switch (driver) {
    case "":
    case "cgroupfs":
    case "systemd":
      return undefined
    case "none":
      return `${cgroupDriverKey} option none is internally used and cannot be specified manually`
    default:
      return `${cgroupDriverKey} option ${driver} not supported`
  }
}

/** What dockerd 28 says of a key Linux does not know, noting that it is ignored. */
const unknownKeyWarning = (key: string): string =>
  `${key === "isolation" ? "option 'isolation' is only supported on windows" : `unknown option: '${key}'`} (ignored)`

interface Finding {
  readonly kind: "problem" | "warning"
  readonly path: string
  readonly message: string
}

/** What is wrong, or suspicious, about each entry, in order, each at its `exec-opts[i]`. */
const findings = (execOpts: ReadonlyArray<string>): Array<Finding> => {
  const decisive = cgroupDriverIndex(execOpts)
  return execOpts.flatMap((entry, index): Array<Finding> => {
    const path = configPath(["exec-opts", index])
    const option = parseExecOpt(entry)
    if (option === undefined) {
      return [{ kind: "problem", path, message: `unable to parse key/value option: ${entry}` }]
    }
    if (option.key !== cgroupDriverKey) return [{ kind: "warning", path, message: unknownKeyWarning(option.key) }]
    if (index !== decisive) {
      const first = configPath(["exec-opts", decisive])
      return [{ kind: "warning", path, message: `${cgroupDriverKey} is set by ${first} already (ignored)` }]
    }
    const message = cgroupDriverProblem(option.value)
    return message === undefined ? [] : [{ kind: "problem", path, message }]
  })
}

/** Why dockerd would refuse `execOpts`: none when it would start with them. */
export const execOptProblems = (execOpts: ReadonlyArray<string>): ReadonlyArray<Problem> =>
  findings(execOpts).flatMap(({ kind, message, path }) => kind === "problem" ? [new Problem({ path, message })] : [])

/** The options dockerd ignores on Linux, which are most likely mistakes. */
export const execOptWarnings = (execOpts: ReadonlyArray<string>): ReadonlyArray<ConfigWarning> =>
  findings(execOpts).flatMap(({ kind, message, path }) =>
    kind === "warning" ? [new ConfigWarning({ path, message })] : []
  )
