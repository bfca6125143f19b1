/**
 * The smallest OCI runtime spec that runs a command in a directory: what
 * `oci-runtimes run --rootfs DIR -- CMD ARGS…` hands containerd. There is no
 * image and no snapshot, so `root.path` is the directory itself.
 *
 * Everything but the command, its environment and where it runs is
 * containerd's default spec (`ctr oci spec`, containerd 1.6/1.7), which is also
 * what dockerd starts from: the same fourteen capabilities, mounts, namespaces,
 * masked and read-only paths, and a device cgroup that denies everything. One
 * deliberate difference: `/sys/devices/virtual/powercap` is masked too, as
 * containerd 2.x and dockerd do (energy counters leak what other processes
 * compute).
 *
 * The spec is plain data in a fixed key order, so equal requests give
 * byte-identical JSON.
 */
import type { Any } from "@bufbuild/protobuf/wkt"
import { create } from "@bufbuild/protobuf"
import { AnySchema } from "@bufbuild/protobuf/wkt"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"

/** What to run, and where. */
export interface SpecRequest {
  /** The command and its arguments; at least the command. */
  readonly args: ReadonlyArray<string>
  /** The root filesystem: an absolute directory path. */
  readonly rootfs: string
  /** `NAME=value` entries; by default only a standard `PATH`. */
  readonly env?: ReadonlyArray<string>
  /** The working directory inside the container, absolute; `/` by default. */
  readonly cwd?: string
  readonly hostname?: string
  /**
   * The container's cgroup, in the form the runtime's cgroup driver wants
   * (`/oci-runtimes/ID` for cgroupfs, `slice:prefix:name` for systemd). Left
   * out, the runtime picks its own.
   */
  readonly cgroupsPath?: string
  /** Mount the root filesystem read-only; `false` by default. */
  readonly readonlyRoot?: boolean
}

/** The subset of the OCI runtime spec (config.json) this module writes. */
export interface OciSpec {
  readonly ociVersion: string
  readonly process: OciProcess
  readonly root: { readonly path: string; readonly readonly: boolean }
  readonly hostname?: string
  readonly mounts: ReadonlyArray<OciMount>
  readonly linux: OciLinux
}

export interface OciProcess {
  readonly terminal: boolean
  readonly user: { readonly uid: number; readonly gid: number }
  readonly args: ReadonlyArray<string>
  readonly env: ReadonlyArray<string>
  readonly cwd: string
  readonly capabilities: {
    readonly bounding: ReadonlyArray<string>
    readonly effective: ReadonlyArray<string>
    readonly permitted: ReadonlyArray<string>
  }
  readonly rlimits: ReadonlyArray<{ readonly type: string; readonly hard: number; readonly soft: number }>
  readonly noNewPrivileges: boolean
}

export interface OciMount {
  readonly destination: string
  readonly type: string
  readonly source: string
  readonly options: ReadonlyArray<string>
}

export interface OciLinux {
  readonly cgroupsPath?: string
  readonly resources: {
    readonly devices: ReadonlyArray<{ readonly allow: boolean; readonly access: string }>
  }
  readonly namespaces: ReadonlyArray<{ readonly type: string }>
  readonly maskedPaths: ReadonlyArray<string>
  readonly readonlyPaths: ReadonlyArray<string>
}

/** The spec version written: old enough for runc 1.1 and crun to accept, new enough for everything used here. */
export const ociVersion = "1.0.2"

/** The `PATH` a container gets when the request names no environment (containerd's and dockerd's). */
export const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/** containerd 1.x's and dockerd's default capabilities, in containerd's order. */
export const defaultCapabilities: ReadonlyArray<string> = [
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

const mount = (destination: string, type: string, source: string, options: ReadonlyArray<string>): OciMount => ({
  destination,
  type,
  source,
  options
})

/** The kernel file systems every container gets, as containerd mounts them. */
export const defaultMounts: ReadonlyArray<OciMount> = [
  mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
  mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
  mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
  mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
  mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
  mount("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
  mount("/run", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"])
]

/** Everything but the user namespace: the container is root as the host knows it, confined. */
export const defaultNamespaces: ReadonlyArray<string> = ["pid", "ipc", "uts", "mount", "network"]

/** Kernel interfaces hidden from the container (containerd's list, plus powercap). */
export const defaultMaskedPaths: ReadonlyArray<string> = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
  "/proc/scsi"
]

/** Kernel interfaces the container may read but not change. */
export const defaultReadonlyPaths: ReadonlyArray<string> = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger"
]

/** What is wrong with a request field. */
export const SpecProblem = Schema.Literals(["Empty", "NotAbsolute", "ContainsNul", "NotAnAssignment", "EmptyName"])
export type SpecProblem = typeof SpecProblem.Type

const problemText: { readonly [P in SpecProblem]: string } = {
  Empty: "at least the command is needed",
  NotAbsolute: "must be an absolute path",
  ContainsNul: "contains a NUL byte, which no system call can carry",
  NotAnAssignment: "must have the form NAME=value",
  EmptyName: "names no variable before the ="
}

/**
 * A request the runtime would refuse, or that could not reach it intact. Only
 * the first problem is reported, checked in the order args, env, rootfs, cwd,
 * hostname, cgroupsPath.
 */
export class SpecError extends Schema.TaggedError<SpecError>()("SpecError", {
  /** The request field, with the index for list entries: `args`, `env[2]`, `rootfs`. */
  field: Schema.String,
  /** The offending value as given (`[]` for an empty list). */
  value: Schema.String,
  problem: SpecProblem
}) {
  override get message(): string {
    return `${this.field} ${JSON.stringify(this.value)}: ${problemText[this.problem]}`
  }
}

type Check = Result.Result<void, SpecError>

const ok: Check = Result.void
const refuse = (field: string, value: string, problem: SpecProblem): Check =>
  Result.fail(new SpecError({ field, value, problem }))

const firstFailure = (checks: Iterable<() => Check>): Check => {
  for (const check of checks) {
    const result = check()
    if (Result.isFailure(result)) return result
  }
  return ok
}

const noNul = (field: string, value: string): Check =>
  value.includes("\0") ? refuse(field, value, "ContainsNul") : ok

const absolute = (field: string, value: string): Check =>
  value.startsWith("/") ? noNul(field, value) : refuse(field, value, "NotAbsolute")

/** runc refuses an entry without `=`, or with nothing before it, when it sets up the process. */
const assignment = (field: string, entry: string): Check => {
  const equals = entry.indexOf("=")
  if (equals < 0) return refuse(field, entry, "NotAnAssignment")
  if (equals === 0) return refuse(field, entry, "EmptyName")
  return noNul(field, entry)
}

const checkArgs = (args: ReadonlyArray<string>): Check =>
  args.length === 0 ? refuse("args", "[]", "Empty") : firstFailure(args.map((arg, i) => () => noNul(`args[${i}]`, arg)))

const checkEnv = (env: ReadonlyArray<string>): Check =>
  firstFailure(env.map((entry, i) => () => assignment(`env[${i}]`, entry)))

const checkOptional = (field: string, value: string | undefined, check: (field: string, value: string) => Check) =>
  value === undefined ? ok : check(field, value)

const checkRequest = (request: SpecRequest): Check =>
  firstFailure([
    () => checkArgs(request.args),
    () => checkEnv(request.env ?? []),
    () => absolute("rootfs", request.rootfs),
    () => checkOptional("cwd", request.cwd, absolute),
    () => checkOptional("hostname", request.hostname, noNul),
    () => checkOptional("cgroupsPath", request.cgroupsPath, noNul)
  ])

const buildProcess = (request: SpecRequest): OciProcess => ({
  terminal: false,
  user: { uid: 0, gid: 0 },
  args: [...request.args],
  env: request.env === undefined ? [defaultPath] : [...request.env],
  cwd: request.cwd ?? "/",
  capabilities: {
    bounding: [...defaultCapabilities],
    effective: [...defaultCapabilities],
    permitted: [...defaultCapabilities]
  },
  rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
  noNewPrivileges: true
})

const buildLinux = (request: SpecRequest): OciLinux => ({
  ...(request.cgroupsPath === undefined ? {} : { cgroupsPath: request.cgroupsPath }),
  resources: { devices: [{ allow: false, access: "rwm" }] },
  namespaces: defaultNamespaces.map((type) => ({ type })),
  maskedPaths: [...defaultMaskedPaths],
  readonlyPaths: [...defaultReadonlyPaths]
})

/**
 * The spec for a request, or the first thing wrong with it. Pure: the rootfs
 * is not looked at (whether it exists is the runtime's to say).
 */
export const minimalSpec = (request: SpecRequest): Result.Result<OciSpec, SpecError> =>
  Result.map(checkRequest(request), () => ({
    ociVersion,
    process: buildProcess(request),
    root: { path: request.rootfs, readonly: request.readonlyRoot ?? false },
    ...(request.hostname === undefined ? {} : { hostname: request.hostname }),
    mounts: defaultMounts.map((m) => ({ ...m, options: [...m.options] })),
    linux: buildLinux(request)
  }))

/** The type URL containerd's typeurl registry has `specs.Spec` under. */
export const specTypeUrl = "types.containerd.io/opencontainers/runtime-spec/1/Spec"

/** The spec as containerd stores it: its JSON, not a protobuf message, inside an `Any`. */
export const specAny = (spec: OciSpec): Any =>
  create(AnySchema, { typeUrl: specTypeUrl, value: new TextEncoder().encode(JSON.stringify(spec)) })
