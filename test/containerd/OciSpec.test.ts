import { execFileSync } from "node:child_process"
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import type { OciSpec, SpecRequest } from "../../src/containerd/OciSpec.ts"
import { minimalSpec, SpecError, specAny } from "../../src/containerd/OciSpec.ts"

const request: SpecRequest = { args: ["/bin/sh", "-c", "echo hi"], rootfs: "/var/lib/rootfs" }

const specFor = (overrides: Partial<SpecRequest> = {}) => Result.getOrThrow(minimalSpec({ ...request, ...overrides }))

const errorFor = (overrides: Partial<SpecRequest>) => {
  const result = minimalSpec({ ...request, ...overrides })
  if (Result.isSuccess(result)) throw new Error("expected the request to be refused")
  return result.failure
}

const fourteenCapabilities = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE"
]

describe("minimalSpec: the process", () => {
  it("runs the request's args", () => {
    expect(specFor().process.args).toEqual(["/bin/sh", "-c", "echo hi"])
  })

  it("sets only the standard PATH when no environment is given", () => {
    expect(specFor().process.env).toEqual(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
  })

  it("sets exactly the environment given", () => {
    expect(specFor({ env: ["A=1", "EMPTY="] }).process.env).toEqual(["A=1", "EMPTY="])
  })

  it("starts in / unless told otherwise", () => {
    expect(specFor().process.cwd).toBe("/")
    expect(specFor({ cwd: "/tmp" }).process.cwd).toBe("/tmp")
  })

  it("runs as root, without a terminal, unable to gain privileges", () => {
    const { noNewPrivileges, terminal, user } = specFor().process
    expect({ noNewPrivileges, terminal, user }).toEqual({ noNewPrivileges: true, terminal: false, user: { uid: 0, gid: 0 } })
  })

  it("grants the fourteen default capabilities as bounding, effective and permitted, and no others", () => {
    expect(specFor().process.capabilities).toEqual({
      bounding: fourteenCapabilities,
      effective: fourteenCapabilities,
      permitted: fourteenCapabilities
    })
  })

  it("limits open files to 1024", () => {
    expect(specFor().process.rlimits).toEqual([{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }])
  })
})

describe("minimalSpec: the container", () => {
  it("writes OCI runtime spec version 1.0.2", () => {
    expect(specFor().ociVersion).toBe("1.0.2")
  })

  it("uses the rootfs directory as the root, writable unless asked otherwise", () => {
    expect(specFor().root).toEqual({ path: "/var/lib/rootfs", readonly: false })
    expect(specFor({ readonlyRoot: true }).root).toEqual({ path: "/var/lib/rootfs", readonly: true })
  })

  it("sets a hostname only when one is given", () => {
    expect("hostname" in specFor()).toBe(false)
    expect(specFor({ hostname: "box" }).hostname).toBe("box")
  })

  it("puts the cgroups path given into linux.cgroupsPath", () => {
    expect(specFor({ cgroupsPath: "system.slice:oci-runtimes:c1" }).linux.cgroupsPath).toBe("system.slice:oci-runtimes:c1")
  })

  it("leaves linux.cgroupsPath out when none is given, for the runtime to choose", () => {
    expect("cgroupsPath" in specFor().linux).toBe(false)
  })

  it("unshares the pid, ipc, uts, mount and network namespaces, and not the user namespace", () => {
    expect(specFor().linux.namespaces).toEqual([
      { type: "pid" },
      { type: "ipc" },
      { type: "uts" },
      { type: "mount" },
      { type: "network" }
    ])
  })

  it.each([
    ["/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]],
    ["/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]],
    ["/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]],
    ["/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
    ["/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]],
    ["/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]],
    ["/run", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]]
  ])("mounts %s (%s from %s) with its options", (destination, type, source, options) => {
    expect(specFor().mounts.find((mount) => mount.destination === destination)).toEqual({
      destination,
      type,
      source,
      options
    })
  })

  it("mounts nothing else, parents before children", () => {
    expect(specFor().mounts.map((mount) => mount.destination)).toEqual([
      "/proc",
      "/dev",
      "/dev/pts",
      "/dev/shm",
      "/dev/mqueue",
      "/sys",
      "/run"
    ])
  })

  it("masks the kernel interfaces that leak host data, powercap included", () => {
    expect(specFor().linux.maskedPaths).toEqual(expect.arrayContaining(["/proc/kcore", "/proc/keys", "/sys/firmware"]))
    expect(specFor().linux.maskedPaths).toContain("/sys/devices/virtual/powercap")
  })

  it("makes /proc/sys and its neighbours read-only", () => {
    expect(specFor().linux.readonlyPaths).toEqual(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
  })

  it("denies every device in the device cgroup", () => {
    expect(specFor().linux.resources).toEqual({ devices: [{ allow: false, access: "rwm" }] })
  })
})

describe("minimalSpec: its JSON", () => {
  it("is the same text for the same request, whatever order the request's keys come in", () => {
    const one = minimalSpec({ args: ["a"], rootfs: "/r", cwd: "/w", hostname: "h", cgroupsPath: "/c", env: ["X=1"] })
    const other = minimalSpec({ env: ["X=1"], cgroupsPath: "/c", hostname: "h", cwd: "/w", rootfs: "/r", args: ["a"] })
    expect(JSON.stringify(Result.getOrThrow(one))).toBe(JSON.stringify(Result.getOrThrow(other)))
  })

  it("survives JSON unchanged, so it is plain data", () => {
    const spec = specFor({ hostname: "h", cgroupsPath: "/c" })
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec)
  })

  it("does not share the request's arrays", () => {
    const args = ["/bin/true"]
    const spec = specFor({ args })
    args.push("changed")
    expect(spec.process.args).toEqual(["/bin/true"])
  })
})

describe("minimalSpec: refused requests", () => {
  it("refuses empty args", () => {
    expect(errorFor({ args: [] })).toEqual(new SpecError({ field: "args", value: "[]", problem: "Empty" }))
  })

  it("refuses an argument with a NUL byte, naming its index", () => {
    expect(errorFor({ args: ["/bin/echo", "a\0b"] }))
      .toEqual(new SpecError({ field: "args[1]", value: "a\0b", problem: "ContainsNul" }))
  })

  it("refuses a relative rootfs", () => {
    expect(errorFor({ rootfs: "rootfs" })).toEqual(new SpecError({ field: "rootfs", value: "rootfs", problem: "NotAbsolute" }))
  })

  it("refuses an empty rootfs as not absolute", () => {
    expect(errorFor({ rootfs: "" }).problem).toBe("NotAbsolute")
  })

  it("refuses a rootfs with a NUL byte", () => {
    expect(errorFor({ rootfs: "/r\0" }).problem).toBe("ContainsNul")
  })

  it("refuses an environment entry without =", () => {
    expect(errorFor({ env: ["A=1", "B"] })).toEqual(new SpecError({ field: "env[1]", value: "B", problem: "NotAnAssignment" }))
  })

  it("refuses an environment entry with no name before the =", () => {
    expect(errorFor({ env: ["=1"] }).problem).toBe("EmptyName")
  })

  it("refuses an environment entry with a NUL byte", () => {
    expect(errorFor({ env: ["A=\0"] })).toEqual(new SpecError({ field: "env[0]", value: "A=\0", problem: "ContainsNul" }))
  })

  it("refuses a relative cwd", () => {
    expect(errorFor({ cwd: "tmp" })).toEqual(new SpecError({ field: "cwd", value: "tmp", problem: "NotAbsolute" }))
  })

  it("reports the args before the rootfs when both are wrong", () => {
    expect(errorFor({ args: [], rootfs: "r" }).field).toBe("args")
  })

  it("says in its message which field, which value and what is wrong", () => {
    expect(errorFor({ args: ["a\0"] }).message).toBe(`args[0] "a\\u0000": contains a NUL byte, which no system call can carry`)
  })
})

describe("specAny", () => {
  it("carries the spec under the type URL containerd registers specs.Spec with", () => {
    expect(specAny(specFor()).typeUrl).toBe("types.containerd.io/opencontainers/runtime-spec/1/Spec")
  })

  it("carries the spec's JSON as UTF-8 bytes", () => {
    const spec = specFor({ args: ["/bin/echo", "héllo ✓"] })
    const bytes = specAny(spec).value
    expect(new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toBe(JSON.stringify(spec))
    expect(JSON.parse(Buffer.from(bytes).toString("utf8"))).toEqual(spec)
  })
})

/**
 * containerd's own default spec, from the installed `ctr` (which prints it
 * without a daemon). Checked against containerd 1.6/1.7's, dockerd's
 * starting point; containerd 2.x grants five capabilities fewer by default.
 */
describe("minimalSpec against `ctr oci spec`", () => {
  let printed: OciSpec | undefined
  const containerdDefault = (): OciSpec =>
    (printed ??= JSON.parse(execFileSync("ctr", ["oci", "spec"], { encoding: "utf8" })) as OciSpec)

  it("has containerd's mounts, in containerd's order", () => {
    expect(specFor().mounts).toEqual(containerdDefault().mounts)
  })

  it("has containerd's capabilities", () => {
    expect(specFor().process.capabilities).toEqual(containerdDefault().process.capabilities)
  })

  it("has containerd's namespaces", () => {
    expect(specFor().linux.namespaces).toEqual(containerdDefault().linux.namespaces)
  })

  it("has containerd's masked paths, and /sys/devices/virtual/powercap besides", () => {
    const ours = specFor().linux.maskedPaths.filter((path) => path !== "/sys/devices/virtual/powercap")
    expect(ours).toEqual(containerdDefault().linux.maskedPaths)
  })

  it("has containerd's read-only paths", () => {
    expect(specFor().linux.readonlyPaths).toEqual(containerdDefault().linux.readonlyPaths)
  })

  it("has containerd's device rules", () => {
    expect(specFor().linux.resources).toEqual(containerdDefault().linux.resources)
  })

  it("has containerd's user, rlimits, cwd and no-new-privileges", () => {
    const { cwd, noNewPrivileges, rlimits, user } = specFor().process
    const theirs = containerdDefault().process
    expect({ cwd, noNewPrivileges, rlimits, user }).toEqual({
      cwd: theirs.cwd,
      noNewPrivileges: theirs.noNewPrivileges,
      rlimits: theirs.rlimits,
      user: theirs.user
    })
  })
})
