/**
 * `oci-runtimes doctor`: sets the runtimes up as `validate` does (writing
 * nothing, probing every runtime), examines each one against the host
 * (`doctor/Doctor.ts`) and prints the verdicts. No containerd needs to run.
 *
 * Exit status: 1 when the default runtime cannot run containers — or, as for
 * every command, when the configuration is invalid; 0 otherwise, even when
 * another runtime is broken (the report says so).
 */
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ConfigWarning } from "../config/Problem.ts"
import { defaultContainerd, examine } from "../doctor/Doctor.ts"
import { printWarnings, reportFailure } from "./Commands.ts"
import { doctorJson, doctorText } from "./DoctorRender.ts"
import { CommandExit, ExitCode } from "./ExitCode.ts"
import type { CliOptions } from "./Options.ts"
import { Output } from "./Output.ts"
import { setUp } from "./Pipeline.ts"
import { formatJson } from "../json/JsonWriter.ts"

export const description = "Checks every runtime against this host without containerd: shim and runtime binaries, " +
  "wrapper scripts, runtimeArgs the runc shim overrides, features probes, Kubernetes handler names. Writes nothing."

/** The doctor's own flag. */
export const flags = {
  containerd: Flag.String("containerd").pipe(
    Flag.withMetavar("PATH"),
    Flag.withDescription(
      `The containerd executable, beside which containerd looks for shims (default: ${defaultContainerd} on PATH)`
    ),
    Flag.optional
  )
} as const

const ignoredWriteWrappers = new ConfigWarning({
  path: "--write-wrappers",
  message: "ignored: doctor never writes anything"
})

/** The whole command; `containerd` as given on the command line. */
export const doctor = (options: CliOptions, containerd: Option.Option<string>) =>
  Effect.gen(function*() {
    const output = yield* Output
    const setup = yield* setUp(options, "none")
    const diagnosis = yield* examine(setup.table, { containerd: Option.getOrUndefined(containerd) })
    const warnings = [...(options.writeWrappers ? [ignoredWriteWrappers] : []), ...diagnosis.warnings]
    yield* printWarnings(warnings)
    yield* output.stdout(
      options.json ? formatJson(doctorJson(diagnosis, warnings)) : doctorText(diagnosis, output.stdoutStyle)
    )
    return diagnosis.defaultOk
  }).pipe(
    Effect.catch(reportFailure(options)),
    Effect.flatMap((defaultOk) => defaultOk ? Effect.void : Effect.fail(new CommandExit(ExitCode.failure)))
  )
