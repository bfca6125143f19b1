/**
 * Configurations for the benchmark, and the scratch directory they live in
 * (data root, exec root, runc symlinks, a small daemon.json), removed at exit.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { DaemonConfig, RuntimeConfig } from "../src/config/DaemonConfig.ts"
import type { HostSnapshot } from "../src/host/HostFacts.ts"

export const runc = "/usr/sbin/runc"

/** A cgroup v2 host booted with systemd, like most current Linux hosts. */
export const host: HostSnapshot = { ramdisk: false, cgroupV2: true, systemdBooted: true }

type Runtimes = Record<string, RuntimeConfig>

const runtimeName = (i: number) => `rt-${String(i).padStart(4, "0")}`

const runtimesOf = (count: number, make: (i: number) => RuntimeConfig): Runtimes =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [runtimeName(i), make(i)]))

export const firstRuntime = runtimeName(0)

/** A temporary directory for one benchmark run; removed by `remove`, or at exit at the latest. */
export const makeScratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "oci-runtimes-bench-"))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  process.once("exit", remove)
  process.once("SIGINT", () => process.exit(130))

  const config = (runtimes: Runtimes): DaemonConfig => ({
    runtimes,
    defaultRuntime: "",
    execOpts: [],
    dataRoot: join(dir, "data"),
    execRoot: join(dir, "exec")
  })

  return {
    dir,
    remove,
    /** `count` runtimes, each its own symlink to runc: distinct argvs, no wrapper scripts. */
    symlinked: (count: number): DaemonConfig => {
      const bin = join(dir, "bin")
      mkdirSync(bin, { recursive: true })
      return config(runtimesOf(count, (i) => {
        const path = join(bin, `runc-${i}`)
        symlinkSync(runc, path)
        return { path }
      }))
    },
    /** `count` runtimes running runc with a distinct `--root`: distinct argvs, one wrapper script each. */
    withArgs: (count: number): DaemonConfig =>
      config(runtimesOf(count, (i) => ({ path: runc, runtimeArgs: ["--root", join(dir, `state-${i}`)] }))),
    /** `count` runtimes sharing one argv (`/usr/sbin/runc`): one probe for all of them. */
    shared: (count: number): DaemonConfig => config(runtimesOf(count, () => ({ path: runc }))),
    /** A small daemon.json on disk, for the CLI. */
    smallDaemonJson: (): string => {
      const file = join(dir, "daemon.json")
      writeFileSync(
        file,
        JSON.stringify({
          "default-runtime": "runc",
          runtimes: {
            alt: { path: runc },
            debug: { path: runc, runtimeArgs: ["--debug"] },
            kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } }
          }
        }, null, 2)
      )
      return file
    }
  }
}

/**
 * For planning alone (nothing is written or run): a third plain `path`
 * runtimes, a third `path` + `runtimeArgs` (a wrapper script each, hashed),
 * a third `runtimeType` with typed options (runc's and the generic ones).
 */
export const mixedConfig = (count: number): DaemonConfig => ({
  runtimes: runtimesOf(count, (i): RuntimeConfig => {
    switch (i % 3) {
      case 0:
        return { path: `/opt/runtimes/bin/runtime-${i}` }
      case 1:
        return { path: runc, runtimeArgs: ["--root", `/run/runtime-${i}`, "--debug"] }
      default:
        return i % 2 === 0
          ? {
            runtimeType: "io.containerd.runc.v2",
            options: { BinaryName: `/opt/runtimes/bin/runtime-${i}`, SystemdCgroup: true, Root: `/run/runtime-${i}` }
          }
          : { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: `/etc/kata/configuration-${i}.toml` } }
    }
  }),
  defaultRuntime: runtimeName(1),
  execOpts: ["native.cgroupdriver=systemd"],
  dataRoot: "/var/lib/docker",
  execRoot: "/var/run/docker"
})
