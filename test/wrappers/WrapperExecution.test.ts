import { execFileSync } from "node:child_process"
import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import { installScripts, prepareScriptsDirectory } from "../../src/wrappers/ScriptStore.ts"
import { planWrapper, scriptsDirectory } from "../../src/wrappers/WrapperScript.ts"
import * as Layer from "effect/Layer"
import * as FileIdentity from "../../src/host/FileIdentity.ts"

/** Every shell-special character the wrapper must pass through untouched. */
const hostile = [
  "two words",
  "it's",
  `"double"`,
  "$HOME",
  "`id`",
  "$(id)",
  "a;echo pwned",
  "tab\there",
  "line\nbreak",
  "*",
  "back\\slash",
  "",
  "--"
]

layer(Layer.merge(NodeFileSystem.layer, FileIdentity.layer))("wrapper script", (it) => {
  it.effect("hands the runtime every config arg, then every caller arg, byte for byte", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const root = yield* fs.makeTempDirectoryScoped({ prefix: "wrappers-" })
      // The fake runtime prints its path ($0) and its args, each followed by NUL.
      const binDir = posix.join(root, "bin $HOME `x` 'q' ;*")
      const runtime = posix.join(binDir, "run\ttime")
      yield* fs.makeDirectory(binDir)
      yield* fs.writeFileString(runtime, `#!/bin/sh\nprintf '%s\\0' "$0" "$@"\n`, { mode: 0o700 })
      const dir = scriptsDirectory(root)
      const owner = process.geteuid!()
      yield* prepareScriptsDirectory(dir, owner)
      const configArgs = hostile.map((arg) => `config ${arg}`)
      const callerArgs = ["create", ...hostile]
      const plan = planWrapper(dir, "fake", runtime, configArgs)
      yield* installScripts(dir, [{ runtimeName: "fake", plan }], owner)
      const script = plan.path

      const output = execFileSync(script, callerArgs, { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } })

      expect(output.split("\0").slice(0, -1)).toEqual([runtime, ...configArgs, ...callerArgs])
    }))
})
