import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, it, layer } from "@effect/vitest"
import * as ByteSize from "effect/ByteSize"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as PlatformError from "effect/PlatformError"
import { execFileSync } from "node:child_process"
import { truncateSync } from "node:fs"
import { defaultConfigFile, loadDaemonConfig, maxConfigBytes } from "../../src/config/ConfigFile.ts"
import { emptyDaemonConfig } from "../../src/config/DaemonConfig.ts"
import { isRawJson } from "../../src/json/NumberLiteral.ts"

/** Writes `content` to daemon.json in a fresh temporary directory, removed after the test. */
const writeConfig = (content: string | Uint8Array) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const file = `${yield* fs.makeTempDirectoryScoped()}/daemon.json`
    yield* typeof content === "string" ? fs.writeFileString(file, content) : fs.writeFile(file, content)
    return file
  })

/** `text` as UTF-16 with a byte order mark. */
const utf16 = (text: string, endian: "le" | "be"): Uint8Array => {
  const bytes = new Uint8Array(2 + text.length * 2)
  const view = new DataView(bytes.buffer)
  view.setUint16(0, 0xfeff, endian === "le")
  for (let i = 0; i < text.length; i++) view.setUint16(2 + i * 2, text.charCodeAt(i), endian === "le")
  return bytes
}

layer(NodeFileSystem.layer)("loadDaemonConfig", (it) => {
  it.effect("reads and parses the given file, and says which it read", () =>
    Effect.gen(function*() {
      const file = yield* writeConfig("{\"default-runtime\": \"crun\", \"debug\": true}")
      const loaded = yield* loadDaemonConfig(file)
      expect(loaded).toEqual({
        file,
        config: { ...emptyDaemonConfig, defaultRuntime: "crun" },
        setKeys: new Set(["default-runtime"])
      })
    }))

  it.effect("a file with a number dockerd cannot decode, under a key nothing here reads, is refused in Go's words", () =>
    Effect.gen(function*() {
      const file = yield* writeConfig("{\"log-opts\": {\"max-size\": 1e400}}")
      const error = yield* Effect.flip(loadDaemonConfig(file))
      expect(error.message).toBe(
        `invalid configuration in ${file}:\n  log-opts.max-size: json: cannot unmarshal number 1e400 into Go value of type float64`
      )
    }))

  it.effect("a 2 MB number in an option is read and kept as written, for the options decoder", () =>
    Effect.gen(function*() {
      const literal = `1.${"0".repeat(2_000_000)}1`
      const file = yield* writeConfig(`{"runtimes": {"r": {"options": {"IoUid": ${literal}}}}}`)
      const option = (yield* loadDaemonConfig(file)).config.runtimes["r"]?.options?.["IoUid"]
      expect(isRawJson(option) && option.rawJSON === literal).toBe(true)
    }))

  it.effect("a given file that does not exist is an error", () =>
    Effect.gen(function*() {
      const dir = yield* FileSystem.FileSystem.pipe(Effect.flatMap((fs) => fs.makeTempDirectoryScoped()))
      const error = yield* Effect.flip(loadDaemonConfig(`${dir}/missing.json`))
      expect(error).toMatchObject({
        _tag: "ConfigFileError",
        file: `${dir}/missing.json`,
        reason: "no such file or directory"
      })
    }))

  it.effect("a given path that is a directory is an error", () =>
    Effect.gen(function*() {
      const dir = yield* FileSystem.FileSystem.pipe(Effect.flatMap((fs) => fs.makeTempDirectoryScoped()))
      const error = yield* Effect.flip(loadDaemonConfig(dir))
      expect(error).toMatchObject({ _tag: "ConfigFileError", file: dir, reason: "not a regular file" })
    }))

  it.effect("a FIFO is refused without being opened, so it cannot block", () =>
    Effect.gen(function*() {
      const dir = yield* FileSystem.FileSystem.pipe(Effect.flatMap((fs) => fs.makeTempDirectoryScoped()))
      const fifo = `${dir}/daemon.json`
      execFileSync("mkfifo", [fifo])
      const error = yield* Effect.flip(loadDaemonConfig(fifo))
      expect(error).toMatchObject({ _tag: "ConfigFileError", file: fifo, reason: "not a regular file" })
    }))

  it.effect("a device is refused, so /dev/zero cannot exhaust memory", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadDaemonConfig("/dev/zero"))
      expect(error).toMatchObject({ _tag: "ConfigFileError", file: "/dev/zero", reason: "not a regular file" })
    }))

  it.effect("a file larger than the bound is refused before it is read", () =>
    Effect.gen(function*() {
      const file = yield* writeConfig("")
      truncateSync(file, maxConfigBytes + 1)
      const error = yield* Effect.flip(loadDaemonConfig(file))
      expect(error).toMatchObject({ _tag: "ConfigFileError", file, reason: `larger than ${maxConfigBytes} bytes` })
    }))

  it.effect("a syntax error names the file and the place", () =>
    Effect.gen(function*() {
      const file = yield* writeConfig("{\n  \"runtimes\": {,}\n}\n")
      const error = yield* Effect.flip(loadDaemonConfig(file))
      expect(error.message).toBe(`${file}:2:16: invalid character ',' looking for beginning of object key string`)
    }))

  it.effect("a type mismatch names the file and the key", () =>
    Effect.gen(function*() {
      const file = yield* writeConfig("{\"exec-opts\": \"native.cgroupdriver=systemd\"}")
      const error = yield* Effect.flip(loadDaemonConfig(file))
      expect(error).toMatchObject({ _tag: "ConfigSchemaError", file })
    }))

  it.effect("reads UTF-16 little-endian with a byte order mark", () =>
    Effect.gen(function*() {
      const file = yield* writeConfig(utf16("{\"default-runtime\": \"crun\"}", "le"))
      expect((yield* loadDaemonConfig(file)).config.defaultRuntime).toBe("crun")
    }))

  it.effect("reads UTF-16 big-endian with a byte order mark", () =>
    Effect.gen(function*() {
      const file = yield* writeConfig(utf16("{\"default-runtime\": \"crun\"}", "be"))
      expect((yield* loadDaemonConfig(file)).config.defaultRuntime).toBe("crun")
    }))

  it.effect("a file that is not valid UTF-8 is an error", () =>
    Effect.gen(function*() {
      const file = yield* writeConfig(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]))
      const error = yield* Effect.flip(loadDaemonConfig(file))
      expect(error).toMatchObject({ _tag: "ConfigFileError", reason: "not valid UTF-8 text" })
    }))

})

// The default file is a fixed host path, so those cases use a stand-in file system.
describe("loadDaemonConfig without a file", () => {
  const onlyDefaultFile = (readFile: FileSystem.FileSystem["readFile"]) =>
    FileSystem.layerNoop({
      stat: (path) =>
        path === defaultConfigFile
          ? Effect.succeed({ type: "File", size: ByteSize.bytes(64) } as FileSystem.File.Info)
          : Effect.die(path),
      readFile: (path) => path === defaultConfigFile ? readFile(path) : Effect.die(path)
    })

  it.effect("reads /etc/docker/daemon.json when it exists", () =>
    Effect.gen(function*() {
      const loaded = yield* loadDaemonConfig()
      expect(loaded).toMatchObject({ file: defaultConfigFile, config: { defaultRuntime: "crun" } })
    }).pipe(Effect.provide(onlyDefaultFile(() => Effect.succeed(new TextEncoder().encode("{\"default-runtime\":\"crun\"}"))))))

  it.effect("uses the defaults when /etc/docker/daemon.json does not exist", () =>
    Effect.gen(function*() {
      expect(yield* loadDaemonConfig()).toEqual({ file: undefined, config: emptyDaemonConfig, setKeys: new Set() })
    }).pipe(Effect.provide(FileSystem.layerNoop({}))))

  it.effect("fails when /etc/docker/daemon.json exists but cannot be read", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadDaemonConfig())
      expect(error).toMatchObject({ _tag: "ConfigFileError", file: defaultConfigFile, reason: "permission denied" })
    }).pipe(Effect.provide(onlyDefaultFile((path) =>
      Effect.fail(PlatformError.systemError({
        _tag: "PermissionDenied",
        module: "FileSystem",
        method: "readFile",
        pathOrDescriptor: path
      }))
    ))))
})
