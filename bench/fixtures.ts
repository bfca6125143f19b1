/**
 * Configurations for the benchmark scenarios, and the scratch directory they
 * live in (data roots, daemon.json files), removed at exit.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { DaemonConfig, RuntimeConfig } from "../src/config/DaemonConfig.ts"
import type { HostSnapshot } from "../src/host/HostFacts.ts"

export const runc = "/usr/sbin/runc"
export const crun = "/usr/bin/crun"

/** A cgroup v2 host booted with systemd, like most current Linux hosts. */
export const host: HostSnapshot = { ramdisk: false, cgroupV2: true, systemdBooted: true }

type Runtimes = Record<string, RuntimeConfig>

const runtimesOf = (count: number, make: (i: number) => RuntimeConfig): Runtimes =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`rt${i}`, make(i)]))

/**
 * `boot-100`: 100 path runtimes, all the real runc; the odd ones with
 * `--root /run/bench-<i mod 10>`, so 50 wrapper scripts (5 distinct) and 6
 * distinct argvs, 7 with the stock runc's.
 */
export const boot100Runtimes: Runtimes = runtimesOf(
  100,
  (i) => i % 2 === 0 ? { path: runc } : { path: runc, runtimeArgs: ["--root", `/run/bench-${i % 10}`] }
)

/** `boot-realistic`: what a host with a few alternative runtimes configures. */
export const realisticRuntimes: Runtimes = {
  crun: { path: crun },
  "runc-debug": { path: runc, runtimeArgs: ["--debug"] },
  kata: { runtimeType: "io.containerd.kata.v2" },
  gvisor: { runtimeType: "io.containerd.runsc.v1", options: { ConfigPath: "/etc/runsc.toml" } }
}

/** `reload-1000`: 1,000 path runtimes running runc with 100 distinct `--root`s. */
export const reload1000Runtimes: Runtimes = runtimesOf(
  1000,
  (i) => ({ path: runc, runtimeArgs: ["--root", `/run/reload-${i % 100}`] })
)

/** A temporary directory for one benchmark run; removed by `remove`, or at exit at the latest. */
export const makeScratch = () => {
  const dir = mkdtempSync(join(tmpdir(), "oci-runtimes-bench-"))
  const remove = () => rmSync(dir, { recursive: true, force: true })
  process.once("exit", remove)
  process.once("SIGINT", () => process.exit(130))

  return {
    dir,
    remove,
    /** A configuration of `runtimes` with data and exec roots of its own under the scratch directory. */
    config: (label: string, runtimes: Runtimes): DaemonConfig => ({
      runtimes,
      defaultRuntime: "",
      execOpts: [],
      dataRoot: join(dir, label, "data"),
      execRoot: join(dir, label, "exec")
    }),
    /** `runtimes` as a daemon.json on disk, for the CLI. */
    daemonJson: (label: string, runtimes: Runtimes): string => {
      const file = join(dir, `${label}.json`)
      writeFileSync(file, JSON.stringify({ "data-root": join(dir, label, "data"), runtimes }, null, 2))
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
  defaultRuntime: "rt1",
  execOpts: ["native.cgroupdriver=systemd"],
  dataRoot: "/var/lib/docker",
  execRoot: "/var/run/docker"
})
