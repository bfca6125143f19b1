/**
 * An imported file's text to what its format's reader finds in it: TOML
 * parsed (integers as bigints, so `1` and `1.0` stay apart), then read;
 * TOML that does not parse, or lacks or mistypes what the format needs,
 * fails with every problem. Pure.
 */
import * as Result from "effect/Result"
import { parse, TomlError } from "smol-toml"
import { Problem } from "../config/Problem.ts"
import { ImportError } from "./ExportError.ts"
import type { Foreign } from "./Import.ts"
import { importSource, type ImportFormat } from "./Targets.ts"
import { TomlReader, type TomlTable } from "./TomlShape.ts"

const parseToml = (text: string, file: string): Result.Result<TomlTable, ImportError> => {
  try {
    return Result.succeed(parse(text, { integersAsBigInt: true }) as TomlTable)
  } catch (error) {
    const where = error instanceof TomlError ? `line ${error.line}, column ${error.column}` : ""
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]!
    return Result.fail(new ImportError({ reason: "Syntax", file, problems: [new Problem({ path: where, message })] }))
  }
}

export const readImportFile = (format: ImportFormat, text: string, file: string): Result.Result<Foreign, ImportError> =>
  Result.flatMap(parseToml(text, file), (root) => {
    const reader = new TomlReader()
    const foreign = importSource(format).read(root, reader)
    return reader.problems.length > 0
      ? Result.fail(new ImportError({ reason: "Shape", file, problems: reader.problems }))
      : Result.succeed(foreign)
  })
