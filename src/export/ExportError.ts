/**
 * Why an export or an import could not be made at all (as opposed to a
 * `Finding`, which is a part of it that could not be carried over).
 */
import * as Schema from "effect/Schema"
import { Problem } from "../config/Problem.ts"

const problemLines = (problems: ReadonlyArray<Problem>): string =>
  problems.map((problem) => `${problem.path === "" ? "" : `${problem.path}: `}${problem.message}`).join("\n")

/**
 * The runtimes cannot all be given handlers: every runtime with the same
 * trouble is listed, at its daemon.json path (or the `--handler` flag).
 *
 * - `NotAHandlerName`: a handler is not a lowercase RFC 1123 DNS label;
 * - `SameHandler`: two runtimes would be exported under one handler;
 * - `UnknownRuntime`: `--handler` names a runtime the configuration lacks.
 */
export class ExportError extends Schema.TaggedError<ExportError>()("ExportError", {
  reason: Schema.Literals(["NotAHandlerName", "SameHandler", "UnknownRuntime"]),
  problems: Schema.Array(Problem)
}) {
  override get message(): string {
    return problemLines(this.problems)
  }
}

/**
 * The file to import is not what `--from` says it is:
 *
 * - `Syntax`: not TOML (the problem's path is `line L, column C`);
 * - `Shape`: TOML, but a value the translation reads has the wrong type,
 *   or the tables of the format are missing (every such value is listed).
 */
export class ImportError extends Schema.TaggedError<ImportError>()("ImportError", {
  reason: Schema.Literals(["Syntax", "Shape"]),
  file: Schema.String,
  problems: Schema.Array(Problem)
}) {
  override get message(): string {
    return this.problems.map((problem) => `${this.file}: ${problem.path}: ${problem.message}`).join("\n")
  }
}
