/**
 * The few facts about the host that change how runtimes are set up.
 *
 * They are read through a service so that the resolution itself stays pure and
 * tests can state the host they want (`layerFixed`) instead of depending on the
 * machine they run on.
 */
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"

export interface HostSnapshot {
  /**
   * `DOCKER_RAMDISK` is set and non-empty: the root filesystem is a ramdisk,
   * where `pivot_root` fails, so runc must be told not to use it.
   */
  readonly ramdisk: boolean
  /** `/sys/fs/cgroup` is a cgroup2 filesystem (the unified hierarchy). */
  readonly cgroupV2: boolean
  /**
   * The host was booted with systemd: `/run/systemd/system` is a directory
   * itself, not a symlink to one (dockerd checks with `lstat`, as systemd does).
   */
  readonly systemdBooted: boolean
}

export interface HostFacts {
  /** Reads the facts now; reading never fails (an unreadable fact is `false`). */
  readonly read: Effect.Effect<HostSnapshot>
}

export const HostFacts: Context.Service<HostFacts, HostFacts> = Context.Service<HostFacts>("oci-runtimes/HostFacts")

/**
 * Whether `/proc/self/mounts` shows a cgroup2 filesystem on `/sys/fs/cgroup`.
 * The last mount on a mount point hides the earlier ones, so it decides.
 */
export const cgroupRootIsCgroup2 = (mounts: string): boolean => {
  let fsType: string | undefined
  for (const line of mounts.split("\n")) {
    const [, mountPoint, type] = line.split(" ")
    if (mountPoint === "/sys/fs/cgroup") fsType = type
  }
  return fsType === "cgroup2"
}

const ramdiskConfig = Config.String("DOCKER_RAMDISK").pipe(Config.withDefault(""))

/**
 * The real host: `DOCKER_RAMDISK` through Effect's `Config`, from the
 * `ConfigProvider` in place when the layer is built (so a test can supply one), the cgroup and systemd facts through `FileSystem`.
 */
export const layer: Layer.Layer<HostFacts, never, FileSystem.FileSystem> = Layer.effect(HostFacts)(
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const provider = yield* ConfigProvider.ConfigProvider
    const read = Effect.gen(function*() {
      const ramdisk = yield* ramdiskConfig.parse(provider).pipe(
        Effect.map((value) => value !== ""),
        Effect.orElseSucceed(() => false)
      )
      const cgroupV2 = yield* fs.readFileString("/proc/self/mounts").pipe(
        Effect.map(cgroupRootIsCgroup2),
        Effect.orElseSucceed(() => false)
      )
      const systemdBooted = yield* fs.lstat("/run/systemd/system").pipe(
        Effect.map((info) => info.type === "Directory"),
        Effect.orElseSucceed(() => false)
      )
      return { ramdisk, cgroupV2, systemdBooted }
    })
    return { read }
  })
)

/** A host with the given facts, for tests and for callers that already know them. */
export const layerFixed = (snapshot: HostSnapshot): Layer.Layer<HostFacts> =>
  Layer.succeed(HostFacts)({ read: Effect.succeed(snapshot) })
