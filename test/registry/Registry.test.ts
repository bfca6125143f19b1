import { execFileSync } from "node:child_process"
import { statSync } from "node:fs"
import { posix, relative } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { expect, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as FeatureProbe from "../../src/features/FeatureProbe.ts"
import { ProbeError } from "../../src/features/ProbeError.ts"
import type { Features } from "../../src/features/Features.ts"
import * as HostFacts from "../../src/host/HostFacts.ts"
import * as PathLookup from "../../src/host/PathLookup.ts"
import { RuntimePathLookupError } from "../../src/registry/Preflight.ts"
import * as Registry from "../../src/registry/Registry.ts"
import { InvalidRuntimeConfig } from "../../src/config/Errors.ts"
import { Problem } from "../../src/config/Problem.ts"
import { describeRuntimes, featuresStatusKey, runtimeNamed } from "../../src/registry/RuntimeTable.ts"
import { ScriptsDirectoryError, WrapperWriteError } from "../../src/wrappers/ScriptStore.ts"
import {
  answerFrom,
  binaryNameOf,
  breakableFileSystem,
  executable,
  listing,
  probeLayer,
  readText,
  runcFeatures,
  sandbox,
  scriptedProbe,
  tempDirectory,
  withRegistry
} from "./harness.ts"
import { daemonConfig, plain, runcShimOptions } from "./support.ts"
import * as FileIdentity from "../../src/host/FileIdentity.ts"

/** A probe that answers at once, except for `/slow`: it says when it starts, then waits for `release`. */
const slowProbe = Effect.gen(function*() {
  const started = yield* Deferred.make<void>()
  const release = yield* Deferred.make<void>()
  const probe = probeLayer((argv) =>
    argv[0] === "/slow"
      ? Effect.andThen(Deferred.succeed(started, undefined), Effect.as(Deferred.await(release), runcFeatures))
      : Effect.succeed(runcFeatures)
  )
  return { probe, release, started }
})

layer(Layer.merge(NodeFileSystem.layer, FileIdentity.layer), { excludeTestServices: true })("RuntimeRegistry over test layers", (it) => {
  it.effect("boot removes what the new table does not name: scripts of a previous run, stray directories, temporary files", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { config, scripts } = yield* sandbox
      yield* fs.makeDirectory(posix.join(scripts, "stale-dir"), { recursive: true })
      yield* fs.writeFileString(posix.join(scripts, "crun.OLDSUFFIX"), "#!/bin/sh\n")
      yield* fs.writeFileString(posix.join(scripts, ".0123456789abcdef.tmp"), "#!/bin/")
      const table = yield* withRegistry({}, (registry) =>
        registry.boot(config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })))
      expect(yield* listing(scripts)).toEqual([posix.basename(runtimeNamed(table, "crun")?.wrapper?.path ?? "")])
    }))

  it.effect("boot writes each wrapper script, executable by its owner only", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const table = yield* withRegistry({}, (registry) =>
        registry.boot(config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })))
      const script = binaryNameOf(answerFrom(table, "crun"))
      expect(yield* readText(script)).toBe(`#!/bin/sh\nexec '/usr/bin/crun' '--debug' "$@"\n`)
      expect(statSync(script).mode & 0o777).toBe(0o700)
    }))

  it.effect("boot does not check that runtime binaries exist", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const table = yield* withRegistry({}, (registry) =>
        registry.boot(config({ runtimes: { gone: { path: "/nonexistent/runtime", runtimeArgs: ["--debug"] } } })))
      expect(runtimeNamed(table, "gone")?.preflightPath).toBe("/nonexistent/runtime")
    }))

  it.effect("reload keeps the existing scripts and writes the new ones", () =>
    Effect.gen(function*() {
      const { config, scripts } = yield* sandbox
      const before = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      const after = config({
        runtimes: {
          crun: { path: "/usr/bin/crun", runtimeArgs: ["--systemd-cgroup"] },
          youki: { path: "/usr/bin/youki", runtimeArgs: ["--debug"] }
        }
      })
      const [old, renewed] = yield* withRegistry({}, (registry) => Effect.all([registry.boot(before), registry.reload(after)]))
      const oldScript = runtimeNamed(old, "crun")?.wrapper
      expect(yield* readText(oldScript?.path ?? "")).toBe(oldScript?.content)
      const written = [oldScript, runtimeNamed(renewed, "crun")?.wrapper, runtimeNamed(renewed, "youki")?.wrapper]
      expect(yield* listing(scripts)).toEqual(written.map((wrapper) => posix.basename(wrapper?.path ?? "")).sort())
    }))

  it.effect("a reload handed problems found upstream fails with them and keeps the table in force", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const flagProblem = new Problem({ path: "--add-runtime =x", message: "invalid runtime argument: =x" })
      const [error, shim] = yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config({ runtimes: { alt: { runtimeType: "io.containerd.kata.v2" } } }))
          const error = yield* Effect.flip(
            registry.reload(config({ runtimes: { alt: { runtimeType: "io.containerd.runsc.v1" } } }), {
              upstreamProblems: [flagProblem]
            })
          )
          return [error, (yield* registry.get("alt")).shim] as const
        }))
      expect(error).toBeInstanceOf(InvalidRuntimeConfig)
      expect(plain((error as InvalidRuntimeConfig).problems)).toEqual(plain([flagProblem]))
      expect(shim).toBe("io.containerd.kata.v2")
    }))

  it.effect("with scripts \"none\", boot writes no script and removes nothing, and the table still names the script", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { config, scripts } = yield* sandbox
      yield* fs.makeDirectory(scripts, { recursive: true })
      yield* fs.writeFileString(posix.join(scripts, "crun.OLDSUFFIX"), "#!/bin/sh\n")
      const table = yield* withRegistry({ setup: { scripts: "none" } }, (registry) =>
        registry.boot(config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })))
      expect(runtimeNamed(table, "crun")?.wrapper?.path.startsWith(scripts)).toBe(true)
      expect(yield* listing(scripts)).toEqual(["crun.OLDSUFFIX"])
    }))

  it.effect("a get obtained before a reload and run after it answers from the new table", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const before = config({ runtimes: { alt: { runtimeType: "io.containerd.kata.v2" } } })
      const after = config({ runtimes: { alt: { runtimeType: "io.containerd.runsc.v1" } } })
      const shim = yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(before)
          const lookup = registry.get("alt")
          yield* registry.reload(after)
          return (yield* lookup).shim
        }))
      expect(shim).toBe("io.containerd.runsc.v1")
    }))

  it.effect("reload keeps a script that is exactly ours: the same file, not rewritten", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const withArgs = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          const script = runtimeNamed(yield* registry.boot(withArgs), "crun")?.wrapper?.path ?? ""
          const { ino, mtimeMs } = statSync(script)
          yield* registry.reload(withArgs)
          expect(statSync(script)).toMatchObject({ ino, mtimeMs })
        }))
    }))

  it.effect("reload leaves files it did not write alone", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { config, scripts } = yield* sandbox
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config())
          yield* fs.writeFileString(posix.join(scripts, "kept-by-someone"), "")
          yield* registry.reload(config())
        }))
      expect(yield* listing(scripts)).toEqual(["kept-by-someone"])
    }))

  it.effect("reload narrows a world-writable scripts directory to 0700 and warns about it at data-root", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { config, scripts } = yield* sandbox
      const withArgs = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      const table = yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(withArgs)
          yield* fs.chmod(scripts, 0o777)
          return yield* registry.reload(withArgs)
        }))
      expect(statSync(scripts).mode & 0o7777).toBe(0o700)
      expect(plain(table.warnings)).toContainEqual({
        path: "data-root",
        message: `runtime scripts directory ${scripts} had mode 0777; changed it to 0700`
      })
    }))

  it.effect("reload rewrites a script another user planted under its name, and warns at the runtime", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { config, scripts } = yield* sandbox
      const withArgs = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      const { planted, table } = yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          const booted = yield* registry.boot(withArgs)
          const planted = binaryNameOf(answerFrom(booted, "crun"))
          // The directory was left open (say by an earlier version), and someone wrote their own script.
          yield* fs.chmod(scripts, 0o777)
          yield* fs.remove(planted)
          yield* fs.writeFileString(planted, "#!/bin/sh\nexec /tmp/evil\n", { mode: 0o777 })
          if (process.geteuid!() === 0) yield* fs.chown(planted, 65534, 65534)
          return { planted, table: yield* registry.reload(withArgs) }
        }))
      expect(yield* readText(planted)).toBe(runtimeNamed(table, "crun")?.wrapper?.content)
      expect(statSync(planted)).toMatchObject({ uid: process.geteuid!(), mode: 0o100700 })
      expect(plain(table.warnings).find((warning) => warning.path === "runtimes.crun")?.message).toMatch(
        new RegExp(`^wrapper script ${planted} was rewritten: it (was owned by uid 65534|had mode 0777)$`)
      )
    }))

  it.effect("boot refuses a scripts directory that is a symbolic link, writes nothing where it points, keeps the previous table", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { config, root, scripts } = yield* sandbox
      const withArgs = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      const elsewhere = posix.join(root, "elsewhere")
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          const booted = yield* registry.boot(config())
          yield* fs.makeDirectory(elsewhere, { mode: 0o700 })
          yield* fs.remove(scripts, { recursive: true })
          yield* fs.symlink(elsewhere, scripts)
          const error = yield* Effect.flip(registry.boot(withArgs))
          expect(error).toBeInstanceOf(ScriptsDirectoryError)
          expect(error.message).toContain("is a symbolic link; refusing to follow it")
          expect(yield* registry.table).toBe(booted)
        }))
      expect(yield* listing(elsewhere)).toEqual([])
    }))

  it.effect("a boot keeps the previous table's scripts until its own table is in force", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const { probe, release, started } = yield* slowProbe
      const first = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      const second = config({ runtimes: { slow: { path: "/slow", runtimeArgs: ["--debug"] } } })
      yield* withRegistry({ probe }, (registry) =>
        Effect.gen(function*() {
          const old = binaryNameOf(answerFrom(yield* registry.boot(first), "crun"))
          const boot = yield* Effect.forkChild(registry.boot(second))
          yield* Deferred.await(started)
          // Mid-boot: the old table still answers, and its script is still there.
          expect(binaryNameOf(yield* registry.get("crun"))).toBe(old)
          expect(statSync(old).isFile()).toBe(true)
          yield* Deferred.succeed(release, undefined)
          const renewed = yield* Fiber.join(boot)
          expect(yield* listing(posix.dirname(old))).toEqual([posix.basename(binaryNameOf(answerFrom(renewed, "slow")))])
        }))
    }))

  it.effect("reload recreates a scripts directory that has gone", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { config, scripts } = yield* sandbox
      const withArgs = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      const table = yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config())
          yield* fs.remove(scripts, { recursive: true })
          return yield* registry.reload(withArgs)
        }))
      expect(yield* listing(scripts)).toEqual([posix.basename(runtimeNamed(table, "crun")?.wrapper?.path ?? "")])
    }))

  it.effect("a failed reload returns every problem in one typed error and keeps the previous table", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const good = config({ runtimes: { crun: { path: "/usr/bin/crun" } }, defaultRuntime: "crun" })
      const bad = config({ runtimes: { kata: {}, runc: { path: "/x" } }, defaultRuntime: "nope" })
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          const booted = yield* registry.boot(good)
          const error = yield* Effect.flip(registry.reload(bad))
          expect(error).toBeInstanceOf(InvalidRuntimeConfig)
          expect(plain((error as InvalidRuntimeConfig).problems)).toEqual([
            { path: "runtimes.runc", message: "runtime name 'runc' is reserved" },
            { path: "runtimes.kata", message: "runtime kata: either a runtimeType or a path must be configured" },
            { path: "default-runtime", message: "specified default runtime 'nope' does not exist" }
          ])
          expect(yield* registry.table).toBe(booted)
          expect(yield* registry.get("")).toEqual(answerFrom(booted, ""))
        }))
    }))

  it.effect("a failed reload writes no scripts", () =>
    Effect.gen(function*() {
      const { config, scripts } = yield* sandbox
      const bad = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] }, kata: {} } })
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config())
          yield* Effect.flip(registry.reload(bad))
        }))
      expect(yield* listing(scripts)).toEqual([])
    }))

  it.effect("get before boot fails with a typed error", () =>
    withRegistry({}, (registry) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(registry.get(""))
        expect(error).toBeInstanceOf(Registry.RuntimesNotSetUp)
        expect(yield* Effect.flip(registry.info)).toBeInstanceOf(Registry.RuntimesNotSetUp)
      })))

  it.effect("features before boot are unknown rather than an error", () =>
    withRegistry({}, (registry) =>
      Effect.gen(function*() {
        expect(yield* registry.features("")).toBeUndefined()
        expect(yield* registry.features("runc")).toBeUndefined()
      })))

  it.effect("a failed first boot leaves the registry not set up", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          yield* Effect.flip(registry.boot(config({ defaultRuntime: "nope" })))
          expect(yield* Effect.flip(registry.get(""))).toBeInstanceOf(Registry.RuntimesNotSetUp)
        }))
    }))

  /**
   * Boots a wrapper runtime, breaks `operation`, boots a configuration with a
   * new script: the second boot's error, the table then in force and the
   * scripts left.
   */
  const secondBootBreaking = (operation: "open" | "makeDirectory") =>
    Effect.gen(function*() {
      const { config, scripts } = yield* sandbox
      let broken: typeof operation | undefined
      const withArgs = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      const changed = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--systemd-cgroup"] } } })
      return yield* withRegistry({ fileSystem: breakableFileSystem(() => broken) }, (registry) =>
        Effect.gen(function*() {
          const booted = yield* registry.boot(withArgs)
          broken = operation
          if (operation === "makeDirectory") yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.remove(scripts, { recursive: true }))
          const bootError = yield* Effect.flip(registry.boot(changed))
          broken = undefined
          return { booted, bootError, table: yield* registry.table, left: yield* listing(scripts).pipe(Effect.orElseSucceed(() => [])) }
        }))
    })

  it.effect("a second boot that cannot write a script keeps the previous table and its script", () =>
    Effect.gen(function*() {
      const { booted, bootError, left, table } = yield* secondBootBreaking("open")
      expect(bootError).toBeInstanceOf(WrapperWriteError)
      expect(table).toBe(booted)
      expect(left).toEqual([posix.basename(runtimeNamed(booted, "crun")?.wrapper?.path ?? "")])
    }))

  it.effect("a second boot that cannot recreate the scripts directory keeps the previous table", () =>
    Effect.gen(function*() {
      const { booted, bootError, table } = yield* secondBootBreaking("makeDirectory")
      expect(bootError).toBeInstanceOf(ScriptsDirectoryError)
      expect(table).toBe(booted)
    }))

  it.effect("a second boot with an invalid configuration keeps the previous table and its scripts", () =>
    Effect.gen(function*() {
      const { config, scripts } = yield* sandbox
      const withArgs = config({ runtimes: { crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } } })
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          const booted = yield* registry.boot(withArgs)
          expect(yield* Effect.flip(registry.boot(config({ defaultRuntime: "nope" })))).toBeInstanceOf(InvalidRuntimeConfig)
          expect(yield* registry.table).toBe(booted)
          expect(yield* listing(scripts)).toEqual([posix.basename(runtimeNamed(booted, "crun")?.wrapper?.path ?? "")])
        }))
    }))

  it.effect("get resolves the empty name to the default runtime's shim and options", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const choice = yield* withRegistry({}, (registry) => Effect.andThen(registry.boot(config()), registry.get("")))
      expect(choice).toEqual({
        runtime: "runc",
        shim: "io.containerd.runc.v2",
        options: runcShimOptions({ binaryName: "runc", systemdCgroup: true }),
        preflightPath: undefined
      })
    }))

  it.effect("preflight fails once the wrapped binary is deleted and passes again once it is restored", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { bin, config } = yield* sandbox
      const binary = yield* executable(bin, "my-runtime")
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config({ runtimes: { wrapped: { path: binary, runtimeArgs: ["--debug"] } } }))
          yield* registry.get("wrapped")
          yield* fs.remove(binary)
          const error = yield* Effect.flip(registry.get("wrapped"))
          expect(error).toBeInstanceOf(RuntimePathLookupError)
          expect(error.message).toBe(
            `error while looking up the specified runtime path: exec: "${binary}": stat ${binary}: no such file or directory`
          )
          expect(error).toMatchObject({ runtime: "wrapped", path: binary })
          yield* executable(bin, "my-runtime")
          expect((yield* registry.get("wrapped")).preflightPath).toBe(binary)
        }))
    }))

  it.effect("preflight refuses a wrapped binary that is not executable", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { bin, config } = yield* sandbox
      const binary = yield* executable(bin, "my-runtime")
      yield* fs.chmod(binary, 0o644)
      const error = yield* withRegistry({}, (registry) =>
        Effect.andThen(
          registry.boot(config({ runtimes: { wrapped: { path: binary, runtimeArgs: ["--debug"] } } })),
          Effect.flip(registry.get("wrapped"))
        ))
      expect(error.message).toBe(`error while looking up the specified runtime path: exec: "${binary}": permission denied`)
    }))

  it.effect("preflight looks a bare binary name up on PATH", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const { bin, config } = yield* sandbox
      const binary = yield* executable(bin, "my-runtime")
      const wrapped = config({ runtimes: { wrapped: { path: "my-runtime", runtimeArgs: ["--debug"] } } })
      yield* withRegistry({ path: `/nonexistent:${bin}` }, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(wrapped)
          yield* registry.get("wrapped")
          yield* fs.remove(binary)
          expect((yield* Effect.flip(registry.get("wrapped"))).message).toBe(
            `error while looking up the specified runtime path: exec: "my-runtime": executable file not found in $PATH`
          )
        }))
    }))

  it.effect("preflight skips empty and relative PATH entries", () =>
    Effect.gen(function*() {
      const { bin, config } = yield* sandbox
      yield* executable(bin, "my-runtime")
      const wrapped = config({ runtimes: { wrapped: { path: "my-runtime", runtimeArgs: ["--debug"] } } })
      // The relative entry does lead to the binary from the working directory; it must not count.
      const error = yield* withRegistry({ path: `::${relative(process.cwd(), bin)}` }, (registry) =>
        Effect.andThen(registry.boot(wrapped), Effect.flip(registry.get("wrapped"))))
      expect(error).toBeInstanceOf(RuntimePathLookupError)
    }))

  it.effect("a path runtime without args is not checked before use", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const choice = yield* withRegistry({}, (registry) =>
        Effect.andThen(
          registry.boot(config({ runtimes: { gone: { path: "/nonexistent/runtime" } } })),
          registry.get("gone")
        ))
      expect(choice.options).toEqual(runcShimOptions({ binaryName: "/nonexistent/runtime", systemdCgroup: true }))
    }))

  it.effect("a get during a reload answers from the old or the new table, never a mix", () =>
    Effect.gen(function*() {
      const { bin, config } = yield* sandbox
      const binary = yield* executable(bin, "my-runtime")
      // The two tables differ in every field of both answers, so a mix matches neither.
      const first = config({ runtimes: { x: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/a.toml" } } } })
      const second = config({
        runtimes: { x: { path: binary, runtimeArgs: ["--b"] }, y: { path: binary } },
        defaultRuntime: "y"
      })
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          const tables = [yield* registry.boot(first), yield* registry.reload(second)]
          const expected = tables.map((table) => ({
            x: answerFrom(table, "x"),
            default: answerFrom(table, ""),
            info: describeRuntimes(table)
          }))
          let reloading = true
          const reloads = Effect.forEach(
            Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? first : second)),
            (next) => registry.reload(next),
            { discard: true }
          ).pipe(Effect.ensuring(Effect.sync(() => (reloading = false))))
          /** How many answers matched the first table, and the second. */
          const seen = [0, 0]
          const check = (answer: Partial<(typeof expected)[number]>) => {
            const matches = expected.flatMap((table, index) =>
              Object.entries(answer).every(([key, value]) =>
                  JSON.stringify(value) === JSON.stringify(table[key as keyof typeof table])
                )
                ? [index]
                : []
            )
            expect(matches).toHaveLength(1)
            seen[matches[0]!]!++
          }
          const reader = Effect.whileLoop({
            while: () => reloading,
            body: () =>
              Effect.gen(function*() {
                check({ x: yield* registry.get("x") })
                check({ default: yield* registry.get("") })
                check({ info: yield* registry.info })
                yield* Effect.yieldNow
              }),
            step: () => {}
          })
          yield* Effect.all([reloads, reader, reader, reader, reader], { concurrency: "unbounded" })
          // Both tables were actually observed, so the reads did race the reloads.
          expect(seen[0]).toBeGreaterThan(0)
          expect(seen[1]).toBeGreaterThan(0)
        }))
    }))

  it.effect("a get while a reload is in flight answers from the previous table without waiting", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const { probe, release, started } = yield* slowProbe
      yield* withRegistry({ probe }, (registry) =>
        Effect.gen(function*() {
          const old = yield* registry.boot(config())
          const reload = yield* Effect.forkChild(
            registry.reload(config({ runtimes: { slow: { path: "/slow" } }, defaultRuntime: "slow" }))
          )
          yield* Deferred.await(started)
          expect(yield* registry.get("")).toEqual(answerFrom(old, ""))
          expect(yield* Effect.flip(registry.get("slow"))).toMatchObject({ _tag: "UnknownRuntime" })
          yield* Deferred.succeed(release, undefined)
          const renewed = yield* Fiber.join(reload)
          expect(yield* registry.get("")).toEqual(answerFrom(renewed, ""))
        }))
    }))

  it.effect("setups run one at a time: a boot waits for the reload in flight", () =>
    Effect.gen(function*() {
      const { config, scripts } = yield* sandbox
      const { probe, release, started } = yield* slowProbe
      const slow = config({ runtimes: { slow: { path: "/slow", runtimeArgs: ["--debug"] } } })
      yield* withRegistry({ probe }, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config())
          const reload = yield* Effect.forkChild(registry.reload(slow))
          yield* Deferred.await(started)
          const boot = yield* Effect.forkChild(registry.boot(config()))
          // Long enough for an unlocked boot to finish and prune (live clock).
          yield* Effect.sleep("100 millis")
          // The reload's script is still there: the boot has not pruned it from under the reload.
          expect(yield* listing(scripts)).toHaveLength(1)
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(reload)
          yield* Fiber.join(boot)
          expect(yield* listing(scripts)).toEqual([])
          expect(runtimeNamed(yield* registry.table, "slow")).toBeUndefined()
        }))
    }))

  it.effect("probes the stock runc once for both stock names", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const scripted = scriptedProbe()
      yield* withRegistry({ probe: scripted.layer }, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config({ runtimes: { "runc-again": { path: "runc" } } }))
          expect(yield* registry.features("runc")).toBe(runcFeatures)
          expect(yield* registry.features("io.containerd.runc.v2")).toBe(runcFeatures)
          expect(yield* registry.features("runc-again")).toBe(runcFeatures)
        }))
      expect(scripted.calls(["runc"])).toBe(1)
    }))

  it.effect("probes the same binary with different args separately", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const debugFeatures: Features = { ociVersionMin: "1.0.0", annotations: { debug: "on" } }
      const scripted = scriptedProbe([[["/usr/bin/crun"], runcFeatures], [["/usr/bin/crun", "--debug"], debugFeatures]])
      yield* withRegistry({ probe: scripted.layer }, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config({
            runtimes: { crun: { path: "/usr/bin/crun" }, "crun-debug": { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } }
          }))
          expect(yield* registry.features("crun-debug")).toBe(debugFeatures)
        }))
      expect([scripted.calls(["/usr/bin/crun"]), scripted.calls(["/usr/bin/crun", "--debug"])]).toEqual([1, 1])
    }))

  it.effect("probes concurrently, at most the configured number at a time", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      let running = 0
      let most = 0
      const probe = probeLayer(() =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            running++
            most = Math.max(most, running)
          }),
          () => Effect.as(Effect.sleep("20 millis"), runcFeatures),
          () => Effect.sync(() => running--)
        )
      )
      const runtimes = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`r${i}`, { path: `/usr/bin/r${i}` }]))
      yield* withRegistry({ probe, setup: { probe: { concurrency: 3 } } }, (registry) =>
        registry.boot(config({ runtimes })))
      expect(most).toBe(3)
    }))

  it.effect("a probe that hangs times out into a warning, and the runtime still resolves", () =>
    Effect.gen(function*() {
      const { bin, config } = yield* sandbox
      const hanging = yield* executable(bin, "hanging-runtime", "exec sleep 60")
      const probe = FeatureProbe.layer.pipe(Layer.provide(NodeServices.layer))
      yield* withRegistry({ probe, setup: { probe: { timeout: "200 millis" } } }, (registry) =>
        Effect.gen(function*() {
          const table = yield* registry.boot(config({ runtimes: { hanging: { path: hanging } } }))
          expect(plain(table.warnings)).toEqual([{
            path: "runtimes.hanging",
            message: `Failed to run [${hanging} features]: timed out after 200ms`
          }])
          expect((yield* registry.get("hanging")).shim).toBe("io.containerd.runc.v2")
        }))
    }))

  it.effect("probes again on every reload, so the features follow upgrades", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const scripted = scriptedProbe()
      yield* withRegistry({ probe: scripted.layer }, (registry) =>
        Effect.andThen(registry.boot(config()), registry.reload(config())))
      expect(scripted.calls(["runc"])).toBe(2)
    }))

  it.effect("a failing probe is a warning naming the runtime and its binary, and the runtime still resolves", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const crunFailure = new ProbeError({
        argv: ["/usr/bin/crun"],
        reason: { _tag: "Exit", exitCode: 1, stderr: "unknown command features" }
      })
      const scripted = scriptedProbe([[["/usr/bin/crun"], crunFailure]])
      yield* withRegistry({ probe: scripted.layer }, (registry) =>
        Effect.gen(function*() {
          const table = yield* registry.boot(config({ runtimes: { crun: { path: "/usr/bin/crun" } } }))
          expect(plain(table.warnings)).toEqual([{
            path: "runtimes.crun",
            message: `Failed to run [/usr/bin/crun features]: "unknown command features" (exit status 1)`
          }])
          expect((yield* registry.get("crun")).options).toEqual(
            runcShimOptions({ binaryName: "/usr/bin/crun", systemdCgroup: true })
          )
          expect(yield* registry.features("crun")).toBeUndefined()
          expect((yield* registry.info).Runtimes["crun"]).toEqual({ path: "/usr/bin/crun" })
        }))
    }))

  it.effect("a failing probe shared by several runtimes is one warning naming them all", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const table = yield* withRegistry({}, (registry) =>
        registry.boot(config({ runtimes: { youki: { path: "/usr/bin/youki" }, "youki-2": { path: "/usr/bin/youki" } } })))
      expect(plain(table.warnings)).toEqual([{
        path: "runtimes.youki, runtimes.youki-2",
        message: `Failed to run [/usr/bin/youki features]: fork/exec /usr/bin/youki: no such file or directory`
      }])
    }))

  it.effect("features: the default runtime's for the empty name, none for names not configured", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }))
          expect(yield* registry.features("")).toBe(runcFeatures)
          expect(yield* registry.features("kata")).toBeUndefined()
          expect(yield* registry.features("io.containerd.my-shim.v1")).toBeUndefined()
        }))
    }))

  it.effect("info lists the current table as GET /info does", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const info = yield* withRegistry({}, (registry) =>
        Effect.andThen(registry.boot(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } })), registry.info))
      expect(info).toEqual({
        DefaultRuntime: "runc",
        CgroupDriver: "systemd",
        Runtimes: {
          "io.containerd.runc.v2": { path: "runc", status: { [featuresStatusKey]: JSON.stringify(runcFeatures) } },
          kata: { runtimeType: "io.containerd.kata.v2" },
          runc: { path: "runc", status: { [featuresStatusKey]: JSON.stringify(runcFeatures) } }
        }
      })
    }))

  it.effect("layerBooted fails to build with boot's error", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      const built = Registry.layerBooted(config({ defaultRuntime: "nope" })).pipe(
        Layer.provide(Layer.mergeAll(
          HostFacts.layerFixed({ ramdisk: false, cgroupV2: false, systemdBooted: false }),
          scriptedProbe().layer,
          PathLookup.layer
        ))
      )
      const error = yield* Effect.flip(Effect.provide(Effect.asVoid(Registry.RuntimeRegistry), built))
      expect(error).toBeInstanceOf(InvalidRuntimeConfig)
    }))
})

/** The real thing: the host's facts, the real `runc features`, PATH from the environment. */
const realRegistry = Registry.layer().pipe(
  Layer.provide(Layer.mergeAll(HostFacts.layer, FeatureProbe.layer, PathLookup.layer, FileIdentity.layer)),
  Layer.provideMerge(NodeServices.layer)
)

// Live clock: the probes' timeouts are real time. These tests fail, never skip, without runc.
layer(realRegistry, { excludeTestServices: true })("RuntimeRegistry against the real stack", (it) => {
  it.effect("gives both stock runtimes the features the real runc reports", () =>
    Effect.gen(function*() {
      const registry = yield* Registry.RuntimeRegistry
      const root = yield* tempDirectory("registry-real-")
      const table = yield* registry.boot(daemonConfig({ dataRoot: root }))
      expect(table.warnings).toEqual([])
      const features = yield* registry.features("runc")
      expect(features?.annotations?.["org.opencontainers.runc.version"]).toBeTypeOf("string")
      expect(features?.hooks).toContain("createRuntime")
      expect(yield* registry.features("io.containerd.runc.v2")).toEqual(features)
      const info = yield* registry.info
      expect(JSON.parse(info.Runtimes["runc"]?.status?.[featuresStatusKey] ?? "null")).toEqual(features)
    }))

  it.effect("writes a wrapper script around runc that runs it with its args", () =>
    Effect.gen(function*() {
      const registry = yield* Registry.RuntimeRegistry
      const root = yield* tempDirectory("registry-real-")
      yield* registry.boot(daemonConfig({
        dataRoot: root,
        runtimes: { "runc-debug": { path: "runc", runtimeArgs: ["--debug"] } }
      }))
      const choice = yield* registry.get("runc-debug")
      expect(choice.preflightPath).toBe("runc")
      const output = JSON.parse(execFileSync(binaryNameOf(choice), ["features"], { encoding: "utf8" }))
      expect(output.annotations?.["org.opencontainers.runc.version"]).toBeTypeOf("string")
      expect((yield* registry.features("runc-debug"))?.ociVersionMin).toBe(output.ociVersionMin)
    }))
})
