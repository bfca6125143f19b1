/**
 * The flags of `export` and `import`, kept apart from their wiring
 * (`ExportCommands`, loaded only when one of them runs) because the
 * command tree is built at every start: this module loads no translation.
 */
import * as Argument from "effect/cli/Argument"
import * as Flag from "effect/cli/Flag"
import * as Option from "effect/Option"
import { whyNotHandlerName } from "../doctor/RuntimeClassHandler.ts"
import { exportFormats, importFormats } from "../export/Formats.ts"

/** One `--handler`: export runtime `name` as `handler`. */
export interface HandlerFlag {
  readonly name: string
  readonly handler: string
}

/** `NAME=HANDLER` split at the last `=`: a runtime name may hold one, a handler (a DNS label) cannot. */
export const splitHandlerFlag = (value: string): HandlerFlag | undefined => {
  const at = value.lastIndexOf("=")
  return at <= 0 ? undefined : { name: value.slice(0, at), handler: value.slice(at + 1) }
}

const handlerFlagProblem = (value: string): string | undefined => {
  const split = splitHandlerFlag(value)
  if (split === undefined) return "NAME=HANDLER, a runtime name and the handler to export it as"
  const why = whyNotHandlerName(split.handler)
  return why === undefined ? undefined : `NAME=HANDLER, where HANDLER is a lowercase RFC 1123 DNS label (${why})`
}

export const exportDescription =
  "Prints the runtimes as another runtime manager's configuration, a file to drop in: containerd's CRI plugin " +
  "(containerd: 1.6/1.7, containerd-v3: 2.x), CRI-O, Podman, or Kubernetes RuntimeClass objects. What the target " +
  "cannot express is reported on stderr (problem: left out, warning: behaves differently). Writes nothing but, " +
  "with --write-wrappers, the wrapper scripts the output names."

export const exportFlags = {
  to: Flag.Literals("to", exportFormats).pipe(
    Flag.withMetavar("FORMAT"),
    Flag.withDescription(`The target: ${exportFormats.join(", ")}`)
  ),
  handler: Flag.String("handler").pipe(
    Flag.withMetavar("NAME=HANDLER"),
    Flag.withDescription("Export runtime NAME as HANDLER, a DNS label (needed for names that are not one; repeatable)"),
    Flag.filterMap(
      (value) => Option.fromUndefinedOr(handlerFlagProblem(value) === undefined ? splitHandlerFlag(value) : undefined),
      (value) => handlerFlagProblem(value) ?? value
    ),
    Flag.atLeast(0)
  )
} as const

export const importDescription =
  "Prints the daemon.json (runtimes, default-runtime) equivalent to another runtime manager's configuration file; " +
  "what daemon.json cannot express is reported on stderr. Wrapper scripts the file names are read back as path and runtimeArgs."

export const importFlags = {
  from: Flag.Literals("from", importFormats).pipe(
    Flag.withMetavar("FORMAT"),
    Flag.withDescription(`The file's format: ${importFormats.join(", ")}`)
  ),
  file: Argument.String("file").pipe(Argument.withDescription("The configuration file to import"))
} as const
