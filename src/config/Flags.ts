/**
 * dockerd's command-line flags for the runtime settings, and how they combine
 * with daemon.json.
 *
 * As in dockerd, a setting may come from a flag or from the file but not both,
 * and `--add-runtime` adds to the file's `runtimes` (dockerd exempts `runtimes`
 * from the both-places check and merges the two maps). When both define the
 * same runtime name, dockerd silently keeps the file's definition and ignores
 * the flag; here that runtime is a setting given both ways, and an error like
 * the others, so an administrator never runs a runtime other than the one
 * they think they configured.
 */
import { compareBytes } from "../names/ByteOrder.ts"
import { stockRuntimeName } from "../names/RuntimeName.ts"
import type { DaemonConfig, DaemonJsonKey, RuntimeConfig } from "./DaemonConfig.ts"
import { configPath, Problem } from "./Problem.ts"

/** The runtime-related dockerd flags, as given on the command line. */
export interface DaemonFlags {
  /** `--add-runtime NAME=PATH`, every occurrence in order. */
  readonly addRuntimes: ReadonlyArray<string>
  /** `--default-runtime`, when given. */
  readonly defaultRuntime?: string
  /** `--exec-opt`, every occurrence in order. */
  readonly execOpts: ReadonlyArray<string>
  /** `--data-root`, when given. */
  readonly dataRoot?: string
  /** `--exec-root`, when given. */
  readonly execRoot?: string
}

const addRuntimeFlag = "--add-runtime"

/**
 * The runtimes `--add-runtime` defines. Each value is `NAME=PATH`, split at
 * the first `=`; both sides are trimmed and the name is lowercased. Unlike
 * dockerd, which stops at the first bad flag, every bad value is reported;
 * a repeated name keeps its first definition.
 */
const parseAddRuntimes = (values: ReadonlyArray<string>) => {
  const runtimes = new Map<string, RuntimeConfig>()
  const problems: Array<Problem> = []
  // The path quotes the value, so that two bad values with the same complaint can be told apart.
  const reject = (value: string, message: string) =>
    problems.push(new Problem({ path: `${addRuntimeFlag} ${value}`, message }))
  for (const value of values) {
    const separator = value.indexOf("=")
    // Without a `=` both sides are empty, which is rejected below.
    const name = separator < 0 ? "" : value.slice(0, separator).trim().toLowerCase()
    const path = separator < 0 ? "" : value.slice(separator + 1).trim()
    if (name === "" || path === "") reject(value, `invalid runtime argument: ${value}`)
    else if (name === stockRuntimeName) reject(value, `runtime name '${stockRuntimeName}' is reserved`)
    else if (runtimes.has(name)) reject(value, `runtime '${name}' was already defined`)
    else runtimes.set(name, { path })
  }
  return { runtimes, problems }
}

/** A list as dockerd prints one in a conflict: Go's `%v` of a `[]string`. */
const goList = (values: ReadonlyArray<string>): string => `[${values.join(" ")}]`

interface Conflict {
  /** The setting, named as in daemon.json. */
  readonly key: string
  readonly flag: string
  readonly fromFlag: string
  readonly fromFile: string
}

interface Exclusive {
  readonly key: DaemonJsonKey
  readonly flag: string
  /** The flag's value as dockerd prints it, or `undefined` when the flag is not given. */
  readonly fromFlag: (flags: DaemonFlags) => string | undefined
  readonly fromFile: (config: DaemonConfig) => string
}

/** The settings a flag and the file may not both set, in key order. */
const exclusives: ReadonlyArray<Exclusive> = [
  { key: "data-root", flag: "--data-root", fromFlag: (f) => f.dataRoot, fromFile: (c) => c.dataRoot },
  {
    key: "default-runtime",
    flag: "--default-runtime",
    fromFlag: (f) => f.defaultRuntime,
    fromFile: (c) => c.defaultRuntime
  },
  {
    key: "exec-opts",
    flag: "--exec-opt",
    fromFlag: (f) => f.execOpts.length > 0 ? goList(f.execOpts) : undefined,
    fromFile: (c) => goList(c.execOpts)
  },
  { key: "exec-root", flag: "--exec-root", fromFlag: (f) => f.execRoot, fromFile: (c) => c.execRoot }
]

/**
 * The settings given both ways, as one problem worded like dockerd's. Its path
 * lists the flags; its message names the keys with both values.
 */
const conflictProblems = (
  file: DaemonConfig,
  fileKeys: ReadonlySet<DaemonJsonKey>,
  flags: DaemonFlags,
  added: ReadonlyMap<string, RuntimeConfig>
) => {
  const settings = exclusives.flatMap((setting): Array<Conflict> => {
    const fromFlag = setting.fromFlag(flags)
    return fromFlag !== undefined && fileKeys.has(setting.key)
      ? [{ key: setting.key, flag: setting.flag, fromFlag, fromFile: setting.fromFile(file) }]
      : []
  })
  const runtimes = [...added].flatMap(([name, runtime]): Array<Conflict> =>
    Object.hasOwn(file.runtimes, name)
      ? [{
        key: configPath(["runtimes", name]),
        flag: addRuntimeFlag,
        fromFlag: runtime.path ?? "",
        fromFile: JSON.stringify(file.runtimes[name])
      }]
      : []
  )
  const conflicts = [...settings, ...runtimes].sort((left, right) => compareBytes(left.key, right.key))
  if (conflicts.length === 0) return []
  const described = conflicts.map((conflict) =>
    `${conflict.key}: (from flag: ${conflict.fromFlag}, from file: ${conflict.fromFile})`
  )
  return [
    new Problem({
      path: [...new Set(conflicts.map((conflict) => conflict.flag))].join(", "),
      message: `the following directives are specified both as a flag and in the configuration file: ${
        described.join(", ")
      }`
    })
  ]
}

/** The flags applied as far as they can be, and what is wrong with them. */
export interface AppliedFlags {
  /**
   * The file's settings with every well-formed flag applied (a flag wins over
   * the file where both set something), so that the rest of the configuration
   * can be checked even when the flags have problems.
   */
  readonly config: DaemonConfig
  /**
   * Bad `--add-runtime` values in order, then the settings given both ways;
   * for `planRuntimes`'s `upstreamProblems`, which reports them first.
   */
  readonly problems: ReadonlyArray<Problem>
}

/**
 * Applies dockerd's flags to the configuration read from daemon.json, as far
 * as they can be: bad `--add-runtime` values are left out, and each problem is
 * reported. `fileKeys` are the keys the file sets (`ParsedDaemonJson.setKeys`).
 * Problems do not fail here: planning reports them with the configuration's
 * own, so that one run shows every mistake.
 */
export const applyFlags = (
  file: DaemonConfig,
  fileKeys: ReadonlySet<DaemonJsonKey>,
  flags: DaemonFlags
): AppliedFlags => {
  const added = parseAddRuntimes(flags.addRuntimes)
  return {
    config: {
      runtimes: { ...file.runtimes, ...Object.fromEntries(added.runtimes) },
      defaultRuntime: flags.defaultRuntime ?? file.defaultRuntime,
      execOpts: flags.execOpts.length > 0 ? flags.execOpts : file.execOpts,
      dataRoot: flags.dataRoot ?? file.dataRoot,
      execRoot: flags.execRoot ?? file.execRoot
    },
    problems: [...added.problems, ...conflictProblems(file, fileKeys, flags, added.runtimes)]
  }
}
