/**
 * Finding a runtime's executable the way Go's `exec.LookPath` does, which is
 * what dockerd's pre-flight check uses, down to the wording of its errors.
 */
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { describeSystemError } from "./SystemError.ts"

/** `file` could not be resolved to an executable; `reason` is worded as Go's `exec.Error`. */
export class ExecutableNotFound extends Schema.TaggedError<ExecutableNotFound>()("ExecutableNotFound", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

export interface PathLookup {
  /** The path to run for `file`: itself when it has a `/`, else the first match on PATH. */
  readonly lookPath: (file: string) => Effect.Effect<string, ExecutableNotFound>
}

export const PathLookup: Context.Service<PathLookup, PathLookup> = Context.Service<PathLookup>(
  "oci-runtimes/PathLookup"
)

/**
 * The directories to search: PATH's absolute entries, in order. Empty and
 * relative entries are skipped — they would make the answer depend on the
 * daemon's working directory (Go refuses such results too, with `ErrDot`).
 */
export const searchDirectories = (pathVariable: string): ReadonlyArray<string> =>
  pathVariable.split(":").filter((dir) => dir.startsWith("/"))

const pathConfig = Config.String("PATH").pipe(Config.withDefault(""))

const joinPath = (dir: string, file: string): string => dir.endsWith("/") ? dir + file : `${dir}/${file}`

const notFound = (file: string, detail: string) => new ExecutableNotFound({ file, reason: `exec: "${file}": ${detail}` })

/**
 * The real lookup: PATH through Effect's `Config`, from the `ConfigProvider` in
 * place when the layer is built, read again on every lookup; files through
 * `FileSystem`.
 */
export const layer: Layer.Layer<PathLookup, never, FileSystem.FileSystem> = Layer.effect(PathLookup)(
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const provider = yield* ConfigProvider.ConfigProvider
    const pathVariable = pathConfig.parse(provider).pipe(Effect.orElseSucceed(() => ""))

    /** Why `candidate` cannot be executed, or `undefined` when it can. */
    const whyNotExecutable = (candidate: string): Effect.Effect<string | undefined> =>
      fs.stat(candidate).pipe(
        Effect.map((info) =>
          info.type === "Directory"
            ? "is a directory"
            : info.type !== "File" || (info.mode & 0o111) === 0
            ? "permission denied"
            : undefined
        ),
        Effect.catch((error) => Effect.succeed(`stat ${candidate}: ${describeSystemError(error)}`))
      )

    const lookPath = (file: string): Effect.Effect<string, ExecutableNotFound> =>
      Effect.gen(function*() {
        if (file.includes("/")) {
          const why = yield* whyNotExecutable(file)
          return why === undefined ? file : yield* notFound(file, why)
        }
        const directories = searchDirectories(yield* pathVariable)
        for (const dir of directories) {
          const candidate = joinPath(dir, file)
          if ((yield* whyNotExecutable(candidate)) === undefined) return candidate
        }
        return yield* notFound(file, "executable file not found in $PATH")
      })

    return { lookPath }
  })
)

/**
 * Lookups answered by `resolve` (the path to run for a file, or `undefined`
 * when it is not to be found), with the real lookup's wording for a missing
 * one: for tests, and for code that must not touch the file system.
 */
export const layerFrom = (resolve: (file: string) => string | undefined): Layer.Layer<PathLookup> =>
  Layer.succeed(PathLookup)({
    lookPath: (file) =>
      Effect.suspend(() => {
        const found = resolve(file)
        if (found !== undefined) return Effect.succeed(found)
        return Effect.fail(
          notFound(file, file.includes("/") ? `stat ${file}: no such file or directory` : "executable file not found in $PATH")
        )
      })
  })
