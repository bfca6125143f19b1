/**
 * The `oci-runtimes` command: the command tree, the services it runs on, and
 * the one place where every outcome becomes an exit code.
 *
 * Imports are deep (`effect/Effect`, never `effect`) because start-up time is
 * most of a CLI run.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Argument from "effect/cli/Argument"
import * as CliConfig from "effect/cli/CliConfig"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as GlobalFlag from "effect/cli/GlobalFlag"
import * as Primitive from "effect/cli/Primitive"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as References from "effect/References"
import { socketPathOf } from "../containerd/Address.ts"
import { identifierRule, isValidIdentifier, whyNotIdentifier } from "../containerd/Identifiers.ts"
import * as FeatureProbe from "../features/FeatureProbe.ts"
import * as FileIdentity from "../host/FileIdentity.ts"
import * as HostFacts from "../host/HostFacts.ts"
import * as PathLookup from "../host/PathLookup.ts"
import * as Commands from "./Commands.ts"
import * as Doctor from "./Doctor.ts"
import * as ExportFlags from "./ExportFlags.ts"
import { ExitCode, isCommandExit } from "./ExitCode.ts"
import { type CliOptions, durationFlag, sharedFlags, toCliOptions } from "./Options.ts"
import * as Output from "./Output.ts"
import * as ProcessStdio from "./ProcessStdio.ts"
import { ProgramVersion } from "./ProgramVersion.ts"
import { runMain, type StopSignals } from "./RunMain.ts"
import { describeDefect } from "../daemon/Defect.ts"
import { internalErrorLine, unknownShortFlagLines, usageErrorLines, usageHint } from "./Render.ts"
import { plainStyle } from "./Style.ts"

const programName = "oci-runtimes"

const root = Command.make(programName).pipe(
  Command.withDescription(
    "Checks and explains dockerd's OCI runtime configuration (daemon.json `runtimes` and the runtime flags): " +
      "which containerd shim each runtime name starts, with which options, and runs containers with them. " +
      "Writes nothing unless told to; run and check add missing wrapper scripts, and nothing ever deletes."
  ),
  Command.withSharedFlags(sharedFlags)
)

/** Runs `f` with the shared flags, which subcommands read from their parent. */
const withOptions = <A, E, R>(f: (options: CliOptions) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(root, (flags) => f(toCliOptions(flags)))

const validate = Command.make("validate", {}, () => withOptions(Commands.validate)).pipe(
  Command.withDescription(
    "Checks the configuration and flags and prints every problem; probe failures and missing binaries are warnings. " +
      "Writes nothing at all."
  )
)

const resolve = Command.make(
  "resolve",
  {
    name: Argument.String("name").pipe(
      Argument.withDescription(
        "Runtime name as a container would ask for it; omitted or \"\": the default runtime. " +
          "A name starting with '-' goes after '--': oci-runtimes resolve -- -name"
      ),
      Argument.optional
    )
  },
  ({ name }) => withOptions((options) => Commands.resolve(options, Option.getOrElse(name, () => "")))
).pipe(
  Command.withDescription("Shows the shim, shim options and features a runtime name resolves to, pre-flight check included.")
)

const info = Command.make("info", {}, () => withOptions(Commands.info)).pipe(
  Command.withDescription("Lists every runtime as a table, or with --json as Docker's GET /info reports them.")
)

const doctor = Command.make("doctor", Doctor.flags, ({ containerd }) =>
  withOptions((options) => Doctor.doctor(options, containerd))).pipe(Command.withDescription(Doctor.description))

/** The containerd commands' module, loaded only when one of them runs: the gRPC stack is most of its weight. */
const containerdCommands = () => Effect.promise(() => import("./ContainerdCommands.ts"))

/** Flag.Directory's own check (a directory, or nothing yet), reused after the empty check it cannot make. */
const directoryPath = Primitive.Path("directory", false)

/**
 * The flags that say where containerd is and what the containers run in,
 * checked before anything is sent: a bad namespace would otherwise reach
 * containerd (and fail late in its words), an empty address would read as
 * a TCP port, and an empty rootfs would resolve to the current directory,
 * which runc would then fill with dev/, proc/, sys/.
 */
const containerdFlags = {
  address: Flag.String("address").pipe(
    Flag.withMetavar("SOCK"),
    Flag.withDescription("containerd's socket, a path or unix://PATH (default /run/containerd/containerd.sock)"),
    Flag.filter(
      (address) => socketPathOf(address) !== "",
      () => "containerd's socket, as a path or unix://PATH"
    ),
    Flag.optional
  ),
  namespace: Flag.String("namespace").pipe(
    Flag.withMetavar("NS"),
    Flag.withDescription("containerd namespace to create the containers in (default \"default\")"),
    Flag.filter(
      isValidIdentifier,
      (namespace) => `a containerd namespace: ${identifierRule} (${whyNotIdentifier(namespace) ?? "containerd refuses it"})`
    ),
    Flag.optional
  ),
  rootfs: Flag.String("rootfs").pipe(
    Flag.withMetavar("DIR"),
    Flag.withDescription("Directory to use as the container's root filesystem (no image, no snapshot)"),
    Flag.filter((dir) => dir !== "", () => "a directory (an empty path would be the current directory)"),
    Flag.mapEffect((dir) =>
      Effect.mapError(
        directoryPath.parse(dir),
        (expected) => new CliError.InvalidValue({ option: "rootfs", value: dir, expected, kind: "flag" })
      )
    )
  )
} as const

const where = (flags: { readonly address: Option.Option<string>; readonly namespace: Option.Option<string> }) => ({
  address: Option.getOrUndefined(flags.address),
  namespace: Option.getOrUndefined(flags.namespace)
})

const run = Command.make(
  "run",
  {
    ...containerdFlags,
    runtime: Flag.String("runtime").pipe(
      Flag.withMetavar("NAME"),
      Flag.withDescription("Runtime to run the container with (default: the default runtime)"),
      Flag.optional
    ),
    command: Argument.String("command").pipe(
      Argument.withDescription("The command to run in the container and its arguments, after --"),
      Argument.atLeast(1)
    )
  },
  (flags) =>
    withOptions((options) =>
      Effect.flatMap(containerdCommands(), (commands) =>
        commands.run(options, {
          ...where(flags),
          runtime: Option.getOrElse(flags.runtime, () => ""),
          rootfs: flags.rootfs,
          command: flags.command
        }))
    )
).pipe(
  Command.withDescription(
    "Runs CMD in a new container through containerd with a runtime resolved as dockerd would, streams its output " +
      "and exits with its exit status (128+N after signal N). Writes missing wrapper scripts; deletes nothing."
  )
)

const check = Command.make(
  "check",
  {
    ...containerdFlags,
    timeout: durationFlag("timeout", "How long each smoke container may take, creation and cleanup included; default 10s")
  },
  (flags) =>
    withOptions((options) =>
      Effect.flatMap(containerdCommands(), (commands) =>
        commands.check(options, {
          ...where(flags),
          rootfs: flags.rootfs,
          timeout: Option.getOrUndefined(flags.timeout)
        }))
    )
).pipe(
  Command.withDescription(
    "Runs `/bin/sh -c 'echo ok'` in a container with every runtime, a few at a time, and reports each with " +
      "containerd's error when it fails; the rootfs must hold /bin/sh with echo (a static busybox will do). " +
      "Exit 1 when the default runtime fails."
  )
)

/** The server's module, loaded only when `serve` runs: the HTTP server is most of its weight. */
const serveCommand = () => Effect.promise(() => import("./Serve.ts"))

const serve = Command.make(
  "serve",
  {
    socket: Flag.String("socket").pipe(
      Flag.withMetavar("PATH"),
      Flag.withDescription("Unix socket to listen on (default <exec-root>/oci-runtimes.sock), created with mode 0660"),
      Flag.filter((path) => path !== "", () => "a socket path"),
      Flag.optional
    ),
    watch: Flag.Boolean("watch").pipe(
      Flag.withDescription("Also reload when the configuration file changes, not only on SIGHUP"),
      Flag.withDefault(false)
    )
  },
  (flags) =>
    withOptions((options) =>
      Effect.flatMap(serveCommand(), (commands) =>
        commands.serve(options, { socket: Option.getOrUndefined(flags.socket), watch: flags.watch }))
    )
).pipe(
  Command.withDescription(
    "Serves the Docker Engine API's /_ping, /version and /info, and GET /runtimes/{name} (what resolve --json prints), " +
      "on a unix socket until SIGTERM or SIGINT; reloads on SIGHUP and, with --watch, when the file changes. " +
      "Logs to stderr; writes nothing but the socket."
  )
)


/** The export and import module, loaded only when one of them runs: the translations and TOML and YAML. */
const exportCommands = () => Effect.promise(() => import("./ExportCommands.ts"))

const exportRuntimes = Command.make("export", ExportFlags.exportFlags, (flags) =>
  withOptions((options) => Effect.flatMap(exportCommands(), (commands) => commands.exportCommand(options, flags)))).pipe(
    Command.withDescription(ExportFlags.exportDescription)
  )

const importRuntimes = Command.make("import", ExportFlags.importFlags, (flags) =>
  withOptions((options) => Effect.flatMap(exportCommands(), (commands) => commands.importCommand(options, flags)))).pipe(
    Command.withDescription(ExportFlags.importDescription)
  )


const subcommands = [validate, resolve, info, doctor, run, check, serve, exportRuntimes, importRuntimes] as const

export const cli = root.pipe(Command.withSubcommands(subcommands))

/** The built-ins' short flags, `-h` (Help) and `-v` (Version): every flag of ours is long only. */
const shortFlags: ReadonlySet<string> = new Set(["h", "v"])

/** A word read as unknown short flags, and the long flag before it, whose value it may have been meant as. */
export interface UnknownShortFlag {
  readonly word: string
  readonly after: string | undefined
}

/** What effect/cli's lexer takes for a negative number rather than flags. */
const negativeNumber = /^-(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * The words before `--` that effect/cli reads as short flags (`-x`, `-abc`,
 * `-x=value`) with a letter no flag has. Its parser takes such a word letter
 * by letter and the built-ins act before errors are reported, so `-dash`
 * (`-d -a -s -h`) printed the help and exited 0; the word is most likely a
 * runtime name starting with `-`, which the usage error then tells how to pass.
 */
export const unknownShortFlags = (args: ReadonlyArray<string>): Array<UnknownShortFlag> => {
  const end = args.indexOf("--")
  const words = end === -1 ? args : args.slice(0, end)
  return words.flatMap((word, index) => {
    if (word.length < 2 || !word.startsWith("-") || word.startsWith("--") || negativeNumber.test(word)) return []
    const letters = Array.from(word.slice(1).split("=")[0] ?? "")
    if (letters.length > 0 && letters.every((letter) => shortFlags.has(letter))) return []
    const before = words[index - 1]
    return [{ word, after: before?.startsWith("--") && !before.includes("=") ? before : undefined }]
  })
}

/** The command a usage error is about: the program, then the subcommand named before `--`, if any. */
const commandPathOf = (args: ReadonlyArray<string>): Array<string> => {
  const end = args.indexOf("--")
  const named = (end === -1 ? args : args.slice(0, end)).find((arg) => subcommands.some((command) => command.name === arg))
  return named === undefined ? [programName] : [programName, named]
}

/**
 * Help asked for goes to stdout; everything about a bad command line goes to
 * stderr (stdout carries results only): the errors, one per line, then where
 * to find usage, or the help itself when no command was given.
 */
const presenter = (output: Output.Output): CliOutput.Presenter => ({
  present: (event) => {
    switch (event._tag) {
      case "Help": {
        const text = CliOutput.defaultFormatter({
          colors: (event.reason === "Requested" ? output.stdoutStyle : output.stderrStyle).color
        }).formatHelpDoc(event.helpDoc)
        // Help that cannot be written has nowhere better to go; the exit code still says usage or success.
        return event.reason === "Requested" ? Effect.ignore(output.stdout(text)) : output.stderr(text)
      }
      case "InvalidInvocation":
        return Effect.gen(function*() {
          for (const error of event.errors) {
            for (const line of usageErrorLines(error.message, output.stderrStyle)) yield* output.stderr(line)
          }
          yield* output.stderr(usageHint(event.commandPath))
        })
      case "Version":
        return Effect.ignore(output.stdout(`${event.name} ${event.version}`))
    }
  }
})

/** The built-ins that make sense here; no wizard, completions or log level. */
const cliConfig = CliConfig.layer({ builtIns: [GlobalFlag.Help, GlobalFlag.Version] })

export type MainServices =
  | Output.Output
  | HostFacts.HostFacts
  | PathLookup.PathLookup
  | FeatureProbe.FeatureProbe
  | FileIdentity.FileIdentity
  | Command.Environment

/**
 * Runs the CLI on `args` and returns its exit code; never fails. Usage
 * errors have been printed by the presenter, command failures by the
 * command, so only the code is left to decide here.
 */
export const main = (
  version: string,
  args: ReadonlyArray<string>
): Effect.Effect<number, never, MainServices | StopSignals> =>
  Effect.gen(function*() {
    const output = yield* Output.Output
    const internalError = (description: string) =>
      output.stderr(internalErrorLine(description, output.stderrStyle)).pipe(Effect.as(ExitCode.internal))
    const unknown = unknownShortFlags(args)
    if (unknown.length > 0) {
      for (const line of unknownShortFlagLines(unknown, output.stderrStyle)) yield* output.stderr(line)
      yield* output.stderr(usageHint(commandPathOf(args)))
      return ExitCode.usage
    }
    return yield* Command.runWith(cli, { version })(args).pipe(
      Effect.provide(Layer.merge(CliOutput.layerPresenter(presenter(output)), cliConfig)),
      Effect.as<number>(ExitCode.ok),
      Effect.catch((error) =>
        isCommandExit(error)
          ? Effect.succeed(error.code)
          : CliError.isCliError(error)
          ? Effect.succeed(ExitCode.usage)
          : internalError(describeDefect(error))
      ),
      Effect.catchDefect((defect) => internalError(describeDefect(defect))),
      // Should anything log, it must not end up in the result on stdout.
      Effect.provideService(References.LogToStderr, true),
      Effect.provideService(ProgramVersion, version)
    )
  })

/**
 * The real host: Node's file system and processes, the host's facts, PATH and
 * runtimes; the process's standard streams as `ProcessStdio` writes them.
 */
export const layer: Layer.Layer<MainServices> = Layer.mergeAll(
  HostFacts.layer,
  PathLookup.layer,
  FeatureProbe.layer,
  FileIdentity.layer,
  Output.layer
).pipe(Layer.provideMerge(Layer.mergeAll(NodeServices.layer, ProcessStdio.layer)))

/** Where what `run` or `check` could not remove is found; the namespace is the one of the command line. */
const leftoversHint = `find leftovers with: ctr --namespace NS containers ls 'labels."io.oci-runtimes.created-by"==oci-runtimes'`

/** The commands that create containers, whose abandoned cleanup may leave some behind. */
const containerCommands = new Set(["run", "check"])

/**
 * A second stop signal abandons the cleanup under way: say so, and — for a
 * command that creates containers — where what it leaves is found. Node
 * writes to a pipe or terminal at once when it can, so the line is out before
 * the exit unless stderr is a full pipe nobody reads.
 */
const onSecondSignal = (args: ReadonlyArray<string>) => () => {
  const hint = containerCommands.has(commandPathOf(args)[1] ?? "") ? `; ${leftoversHint}` : ""
  process.stderr.write(`${programName}: interrupted again: exiting without finishing cleanup${hint}\n`)
}

/** Entry point for `bin/oci-runtimes.mjs`. */
export const runCli = (version: string, args: ReadonlyArray<string> = process.argv.slice(2)): void =>
  runMain(
    main(version, args).pipe(
      Effect.provide(layer),
      // Last resort, should building the services ever die: one line, no stack trace.
      Effect.catchDefect((defect) =>
        Console.error(internalErrorLine(describeDefect(defect), plainStyle)).pipe(Effect.as(ExitCode.internal))
      )
    ),
    onSecondSignal(args)
  )
