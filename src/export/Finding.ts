/**
 * What a translation could not carry over exactly. Exporting the runtime
 * table to another runtime manager's configuration, or importing one back
 * into daemon.json, rarely maps every setting: each one that does not is a
 * finding, so nothing is dropped without a word.
 *
 * - a `problem`: something was left out of the output (a whole runtime, an
 *   option, the default runtime);
 * - a `warning`: it was carried over, but will behave differently there.
 *
 * `path` names the place the setting came from: a daemon.json path
 * (`runtimes.kata.options.ConfigBody`, `default-runtime`) when exporting,
 * the key in the imported file when importing.
 */
import * as Schema from "effect/Schema"

export const FindingLevel = Schema.Literals(["problem", "warning"])
export type FindingLevel = typeof FindingLevel.Type

export class Finding extends Schema.Class<Finding>("Finding")({
  level: FindingLevel,
  path: Schema.String,
  message: Schema.String
}) {}

/** Something left out of the output. */
export const leftOut = (path: string, message: string): Finding => new Finding({ level: "problem", path, message })

/** Something carried over that behaves differently in the target. */
export const differs = (path: string, message: string): Finding => new Finding({ level: "warning", path, message })
