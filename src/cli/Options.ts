/**
 * The flags every command takes, and what they mean to the library: which
 * daemon.json to read, dockerd's runtime flags (`DaemonFlags`), and how the
 * CLI itself behaves (`--json`, `--probe-timeout`, `--write-wrappers`).
 *
 * The dockerd flags keep dockerd's names and repetition rules, so a command
 * line can be copied from a dockerd unit file and checked as it is.
 */
import type * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { defaultConfigFile } from "../config/ConfigFile.ts"
import type { DaemonFlags } from "../config/Flags.ts"
import { defaultTimeout } from "../features/FeatureProbe.ts"
import { parseTimeout } from "./GoDuration.ts"

const optionalString = (name: string, metavar: string, description: string) =>
  Flag.String(name).pipe(Flag.withMetavar(metavar), Flag.withDescription(description), Flag.optional)

const repeatedString = (name: string, metavar: string, description: string) =>
  Flag.String(name).pipe(Flag.withMetavar(metavar), Flag.withDescription(description), Flag.atLeast(0))

const switchFlag = (name: string, description: string) =>
  Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

/** A duration flag, in Go's syntax; a bad one is a usage error (exit 2), checked while the command line is parsed. */
export const durationFlag = (name: string, description: string) =>
  Flag.String(name).pipe(
    Flag.withMetavar("DURATION"),
    Flag.withDescription(description),
    Flag.filterMap(
      (text) => Result.getSuccess(parseTimeout(text)),
      (text) =>
        Result.match(parseTimeout(text), {
          onFailure: (reason) => `a duration such as 500ms, 2s or 1m30s (${reason})`,
          onSuccess: () => "a duration such as 500ms, 2s or 1m30s"
        })
    ),
    Flag.optional
  )

const probeTimeout = durationFlag(
  "probe-timeout",
  `How long each \`<runtime> features\` probe may take (500ms, 2s, 1m30s); default ${Duration.format(defaultTimeout)}`
)

/** The flags shared by every command, accepted before or after the command name. */
export const sharedFlags = {
  config: optionalString(
    "config",
    "FILE",
    `daemon.json to read (default ${defaultConfigFile} when it exists, else an empty configuration)`
  ),
  addRuntime: repeatedString("add-runtime", "NAME=PATH", "dockerd's --add-runtime: a runc-compatible runtime (repeatable)"),
  defaultRuntime: optionalString("default-runtime", "NAME", "dockerd's --default-runtime"),
  execOpt: repeatedString("exec-opt", "KEY=VALUE", "dockerd's --exec-opt, e.g. native.cgroupdriver=systemd (repeatable)"),
  dataRoot: optionalString("data-root", "DIR", "dockerd's --data-root: wrapper scripts go to DIR/runtimes"),
  execRoot: optionalString("exec-root", "DIR", "dockerd's --exec-root: runc state goes to DIR/runtime-runc"),
  json: switchFlag("json", "Print the result as JSON on stdout"),
  probeTimeout,
  writeWrappers: switchFlag(
    "write-wrappers",
    "Write missing wrapper scripts into <data-root>/runtimes (existing ones are kept; validate never writes)"
  )
} as const

export type SharedFlags = Command.Command.Config.Infer<typeof sharedFlags>

/** What a command needs to know from its command line. */
export interface CliOptions {
  /** `undefined`: dockerd's default file, which may be absent. */
  readonly configFile: string | undefined
  readonly daemonFlags: DaemonFlags
  readonly json: boolean
  /** `undefined`: the probe's own default. */
  readonly probeTimeout: Duration.Duration | undefined
  readonly writeWrappers: boolean
}

/**
 * The parsed flags as library inputs. Optional dockerd flags are left out of
 * `DaemonFlags` when not given: "not given" and "given empty" differ for the
 * flag-versus-file conflict check.
 */
export const toCliOptions = (flags: SharedFlags): CliOptions => {
  const defaultRuntime = Option.getOrUndefined(flags.defaultRuntime)
  const dataRoot = Option.getOrUndefined(flags.dataRoot)
  const execRoot = Option.getOrUndefined(flags.execRoot)
  return {
    configFile: Option.getOrUndefined(flags.config),
    daemonFlags: {
      addRuntimes: flags.addRuntime,
      execOpts: flags.execOpt,
      ...(defaultRuntime === undefined ? {} : { defaultRuntime }),
      ...(dataRoot === undefined ? {} : { dataRoot }),
      ...(execRoot === undefined ? {} : { execRoot })
    },
    json: flags.json,
    probeTimeout: Option.getOrUndefined(flags.probeTimeout),
    writeWrappers: flags.writeWrappers
  }
}
