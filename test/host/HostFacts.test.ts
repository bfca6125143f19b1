import { describe, expect, it, layer } from "@effect/vitest"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as PlatformError from "effect/PlatformError"
import * as Layer from "effect/Layer"
import { execFileSync } from "node:child_process"
import { lstatSync } from "node:fs"
import * as HostFacts from "../../src/host/HostFacts.ts"

const realHostWithEnv = (env: Record<string, string>) =>
  HostFacts.layer.pipe(
    Layer.provide(NodeFileSystem.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
  )

describe("cgroupRootIsCgroup2", () => {
  it("is true when /sys/fs/cgroup is mounted as cgroup2", () => {
    const mounts = "proc /proc proc rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n"
    expect(HostFacts.cgroupRootIsCgroup2(mounts)).toBe(true)
  })

  it("is false on a hybrid host, where only /sys/fs/cgroup/unified is cgroup2", () => {
    const mounts = [
      "tmpfs /sys/fs/cgroup tmpfs ro 0 0",
      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0",
      "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0"
    ].join("\n")
    expect(HostFacts.cgroupRootIsCgroup2(mounts)).toBe(false)
  })

  it("follows the last mount on /sys/fs/cgroup, which hides the earlier ones", () => {
    const mounts = "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\ntmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
    expect(HostFacts.cgroupRootIsCgroup2(mounts)).toBe(false)
  })
})

describe("HostFacts.layer", () => {
  layer(realHostWithEnv({ DOCKER_RAMDISK: "1" }))("with DOCKER_RAMDISK=1", (it) => {
    it.effect("reports a ramdisk", () =>
      Effect.gen(function*() {
        const host = yield* (yield* HostFacts.HostFacts).read
        expect(host.ramdisk).toBe(true)
      }))
  })

  layer(realHostWithEnv({ DOCKER_RAMDISK: "" }))("with DOCKER_RAMDISK set but empty", (it) => {
    it.effect("reports no ramdisk, as dockerd does", () =>
      Effect.gen(function*() {
        const host = yield* (yield* HostFacts.HostFacts).read
        expect(host.ramdisk).toBe(false)
      }))
  })

  layer(realHostWithEnv({}))("without DOCKER_RAMDISK", (it) => {
    it.effect("reports no ramdisk", () =>
      Effect.gen(function*() {
        const host = yield* (yield* HostFacts.HostFacts).read
        expect(host.ramdisk).toBe(false)
      }))

    it.effect("reads the cgroup and systemd facts from this machine, as stat(1) and lstat see them", () =>
      Effect.gen(function*() {
        const host = yield* (yield* HostFacts.HostFacts).read
        // Independent witnesses: the filesystem type statfs reports, and lstat of systemd's marker.
        const fsType = execFileSync("stat", ["-f", "-c", "%T", "/sys/fs/cgroup"], { encoding: "utf8" }).trim()
        expect(host.cgroupV2).toBe(fsType === "cgroup2fs")
        const marker = (() => {
          try {
            return lstatSync("/run/systemd/system").isDirectory()
          } catch {
            return false
          }
        })()
        expect(host.systemdBooted).toBe(marker)
      }))
  })
})

describe("HostFacts.layer on a host where /run/systemd/system is a symlink", () => {
  const symlinkedSystemd = FileSystem.layerNoop({
    lstat: (path) =>
      path === "/run/systemd/system"
        ? Effect.succeed({ type: "SymbolicLink" } as FileSystem.File.Info)
        : Effect.fail(PlatformError.systemError({ _tag: "NotFound", module: "FileSystem", method: "lstat", pathOrDescriptor: path })),
    stat: () => Effect.succeed({ type: "Directory" } as FileSystem.File.Info)
  })

  layer(HostFacts.layer.pipe(Layer.provide(symlinkedSystemd)))((it) => {
    it.effect("does not count it as booted with systemd, as dockerd's lstat check does not", () =>
      Effect.gen(function*() {
        const host = yield* (yield* HostFacts.HostFacts).read
        expect(host.systemdBooted).toBe(false)
      }))
  })
})
