/**
 * moby's `daemon/runtime_unix_test.go`, case by case, against this library:
 * TestSetupRuntimes, TestGetRuntime, TestGetRuntime_PreflightCheck and
 * TestRuntimeWrapping, as of the 2023 version (after "daemon: test
 * runtimeoptions runtime options" added the gvisor case). Later versions up to
 * 2025 only rename imports and types; their cases and expectations are the same.
 *
 * `setupRuntimes` after `initRuntimesDir` is `boot` here, a second
 * `setupRuntimes` is `reload`, and `runtimes.Get` is `get`. The data root is a
 * temporary directory and the exec root dockerd's default, as in moby's tests.
 * Where this library deliberately differs, the test asserts its behaviour and
 * says why.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { DaemonConfig, RuntimeConfig } from "../../src/config/DaemonConfig.ts"
import { RuntimePathLookupError } from "../../src/registry/Preflight.ts"
import { InvalidRuntimeConfig } from "../../src/config/Errors.ts"
import { UnknownRuntime } from "../../src/registry/RuntimeTable.ts"
import { binaryNameOf, readText, sandbox, withRegistry } from "./harness.ts"
import { plainHost, runcShimOptions } from "./support.ts"

/** The host is fixed so that the stock options are known: cgroup v1, no systemd, no ramdisk. */
const registryOptions = { host: plainHost, path: process.env["PATH"] ?? "" }

/** moby's `shimConfig{Shim, Opts}` as `get` answers it. */
const shimConfig = (choice: { readonly shim: string; readonly options: unknown }) => ({
  shim: choice.shim,
  options: choice.options
})

const stockShim = "io.containerd.runc.v2"
const stockOptions = runcShimOptions({ binaryName: "runc" })

layer(NodeFileSystem.layer, { excludeTestServices: true })("TestSetupRuntimes", (it) => {
  /** Boots a registry with `overrides` on a fresh data root. */
  const setup = (overrides: Partial<DaemonConfig>) =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      return yield* withRegistry(registryOptions, (registry) => registry.boot(config(overrides)))
    })

  /** The failure of a setup that must fail: moby checks `ErrorContains(expectErr)`; the whole message is checked here. */
  const setupError = (overrides: Partial<DaemonConfig>, expectErr: string, message: string) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(setup(overrides))
      expect(error).toBeInstanceOf(InvalidRuntimeConfig)
      expect(error.message).toContain(expectErr)
      expect(error.message).toBe(message)
    })

  const myruntime = (runtime: RuntimeConfig) => ({ runtimes: { myruntime: runtime } })

  it.effect("Empty", () =>
    setupError(
      myruntime({}),
      "either a runtimeType or a path must be configured",
      "runtime myruntime: either a runtimeType or a path must be configured"
    ))

  it.effect("ArgsOnly", () =>
    setupError(
      myruntime({ runtimeArgs: ["foo", "bar"] }),
      "either a runtimeType or a path must be configured",
      "runtime myruntime: either a runtimeType or a path must be configured"
    ))

  it.effect("OptionsOnly", () =>
    setupError(
      myruntime({ options: { hello: "world" } }),
      "either a runtimeType or a path must be configured",
      "runtime myruntime: either a runtimeType or a path must be configured"
    ))

  it.effect("PathAndType", () =>
    setupError(
      myruntime({ path: "/bin/true", runtimeType: "io.containerd.runsc.v1" }),
      "cannot configure both",
      "runtime myruntime: cannot configure both path and runtimeType for the same runtime"
    ))

  it.effect("PathAndOptions", () =>
    setupError(
      myruntime({ path: "/bin/true", options: { a: "b" } }),
      "options cannot be used with a path runtime",
      "runtime myruntime: options cannot be used with a path runtime"
    ))

  it.effect("TypeAndArgs", () =>
    setupError(
      myruntime({ runtimeType: "io.containerd.runsc.v1", runtimeArgs: ["--version"] }),
      "args cannot be used with a runtimeType runtime",
      "runtime myruntime: args cannot be used with a runtimeType runtime"
    ))

  it.effect("PathArgsOptions", () =>
    setupError(
      myruntime({ path: "/bin/true", runtimeArgs: ["--version"], options: { hmm: 3 } }),
      "options cannot be used with a path runtime",
      "runtime myruntime: options cannot be used with a path runtime"
    ))

  it.effect("TypeOptionsArgs", () =>
    setupError(
      myruntime({ runtimeType: "io.containerd.kata.v2", options: { a: "b" }, runtimeArgs: ["--help"] }),
      "args cannot be used with a runtimeType runtime",
      "runtime myruntime: args cannot be used with a runtimeType runtime"
    ))

  it.effect("PathArgsTypeOptions", () =>
    setupError(
      myruntime({ path: "/bin/true", runtimeArgs: ["foo"], runtimeType: "io.containerd.runsc.v1", options: { a: "b" } }),
      "cannot configure both",
      "runtime myruntime: cannot configure both path and runtimeType for the same runtime"
    ))

  it.effect("CannotOverrideStockRuntime", () =>
    setupError({ runtimes: { runc: {} } }, "runtime name 'runc' is reserved", "runtime name 'runc' is reserved"))

  it.effect("SetStockRuntimeAsDefault", () =>
    Effect.gen(function*() {
      expect((yield* setup({ defaultRuntime: "runc" })).defaultRuntime).toBe("runc")
    }))

  it.effect("SetLinuxRuntimeAsDefault", () =>
    Effect.gen(function*() {
      expect((yield* setup({ defaultRuntime: "io.containerd.runc.v2" })).defaultRuntime).toBe("io.containerd.runc.v2")
    }))

  it.effect("CannotSetBogusRuntimeAsDefault", () =>
    setupError(
      { defaultRuntime: "notdefined" },
      "specified default runtime 'notdefined' does not exist",
      "specified default runtime 'notdefined' does not exist"
    ))

  it.effect("SetDefinedRuntimeAsDefault", () =>
    Effect.gen(function*() {
      const table = yield* setup({
        runtimes: { "some-runtime": { path: "/usr/local/bin/file-not-found" } },
        defaultRuntime: "some-runtime"
      })
      expect(table.defaultRuntime).toBe("some-runtime")
    }))
})

layer(NodeFileSystem.layer, { excludeTestServices: true })("TestGetRuntime", (it) => {
  // Configured runtimes can have any name, even one that would not be allowed
  // as an implicit runtime name; explicit takes precedence over implicit.
  const configuredRtName = "my/custom.runtime.v1"
  const runtimes: Readonly<Record<string, RuntimeConfig>> = {
    [configuredRtName]: { path: "/bin/true" },
    withargs: { path: "/bin/false", runtimeArgs: ["--version"] },
    // moby writes 42 as a Go int, which its TOML round trip keeps an integer.
    // From daemon.json it would be a float64 that dockerd refuses; integral
    // numbers decode here either way.
    shimwithopts: { runtimeType: "io.containerd.runc.v2", options: { IoUid: 42 } },
    wasmedge: { runtimeType: "io.containerd.wasmedge.v1" },
    shimwithpath: { runtimeType: "/path/to/my/shim" },
    // The generic `runtimeoptions/v1.Options`, as gVisor documents for containerd.
    gvisor: {
      runtimeType: "io.containerd.runsc.v1",
      options: { TypeUrl: "io.containerd.runsc.v1.options", ConfigPath: "/path/to/runsc.toml" }
    }
  }

  /** `runtimes.Get(name)` on a registry booted with moby's runtimes. */
  const get = (name: string) =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      return yield* withRegistry(registryOptions, (registry) =>
        Effect.andThen(registry.boot(config({ runtimes })), registry.get(name)))
    })

  const expectShim = (name: string, want: { readonly shim: string; readonly options: unknown }) =>
    Effect.gen(function*() {
      expect(shimConfig(yield* get(name))).toEqual(want)
    })

  /** moby: empty shim, nil opts and an InvalidParameter error; here a typed `UnknownRuntime`. */
  const expectInvalid = (name: string) =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(get(name))
      expect(error).toBeInstanceOf(UnknownRuntime)
      expect(error.message).toBe(`unknown or invalid runtime name: ${name}`)
    })

  it.effect("StockRuntime", () => expectShim("runc", { shim: stockShim, options: stockOptions }))

  it.effect("ShimName", () =>
    expectShim("io.containerd.my-shim.v42", { shim: "io.containerd.my-shim.v42", options: undefined }))

  // containerd only asks that a runtime name have a dot and not start with one.
  it.effect("VersionlessShimName", () =>
    expectShim("io.containerd.my-shim", { shim: "io.containerd.my-shim", options: undefined }))

  it.effect("IllformedShimName", () => expectInvalid("myshim"))

  // Before moby consolidated runtime setup (2022), the empty name was refused
  // here; since then it means the default runtime, as it does in this library.
  it.effect("EmptyString", () => expectShim("", { shim: stockShim, options: stockOptions }))

  it.effect("PathToShim", () => expectInvalid("/path/to/runc"))

  it.effect("PathToShimName", () => expectInvalid("/path/to/io.containerd.runc.v2"))

  it.effect("RelPathToShim", () => expectInvalid("my/io.containerd.runc.v2"))

  it.effect("ConfiguredRuntime", () =>
    expectShim(configuredRtName, { shim: stockShim, options: runcShimOptions({ binaryName: "/bin/true" }) }))

  it.effect("ShimWithOpts", () =>
    expectShim("shimwithopts", {
      shim: "io.containerd.runc.v2",
      options: { _tag: "RuncOptions", typeUrl: "containerd.runc.v1.Options", value: { ioUid: 42 } }
    }))

  it.effect("ShimAlias", () => expectShim("wasmedge", { shim: "io.containerd.wasmedge.v1", options: undefined }))

  it.effect("ConfiguredShimByPath", () => expectShim("shimwithpath", { shim: "/path/to/my/shim", options: undefined }))

  it.effect("ConfiguredShimWithRuntimeoptionsShimConfig", () =>
    expectShim("gvisor", {
      shim: "io.containerd.runsc.v1",
      options: {
        _tag: "RuntimeOptions",
        typeUrl: "runtimeoptions.v1.Options",
        value: { typeUrl: "io.containerd.runsc.v1.options", configPath: "/path/to/runsc.toml" }
      }
    }))

  it.effect("RuntimeWithArgs", () =>
    Effect.gen(function*() {
      const choice = yield* get("withargs")
      expect(choice.shim).toBe(stockShim)
      expect(choice.options?._tag).toBe("RuncOptions")
      // moby looks for `/bin/false --version` in the script. Scripts here quote
      // every word, so that paths and arguments with spaces or shell
      // characters reach the runtime intact.
      expect(yield* readText(binaryNameOf(choice))).toContain(`'/bin/false' '--version'`)
    }))
})

layer(NodeFileSystem.layer, { excludeTestServices: true })("TestGetRuntime_PreflightCheck", (it) => {
  const runtimes: Readonly<Record<string, RuntimeConfig>> = {
    "path-only": { path: "/usr/local/bin/file-not-found" },
    "with-args": { path: "/usr/local/bin/file-not-found", runtimeArgs: ["--arg"] }
  }

  /** Boots with both runtimes, which must succeed: paths are not checked during setup. */
  const get = (name: string) =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      return yield* withRegistry(registryOptions, (registry) =>
        Effect.andThen(registry.boot(config({ runtimes })), registry.get(name)))
    })

  it.effect("PathOnly", () =>
    Effect.gen(function*() {
      // Custom runtimes without wrapper scripts have no pre-flight check.
      expect((yield* get("path-only")).options).toEqual(runcShimOptions({ binaryName: "/usr/local/bin/file-not-found" }))
    }))

  it.effect("WithArgs", () =>
    Effect.gen(function*() {
      // moby checks `errors.Is(err, fs.ErrNotExist)`; the typed error carries the same ENOENT in its reason.
      const error = yield* Effect.flip(get("with-args"))
      expect(error).toBeInstanceOf(RuntimePathLookupError)
      expect(error.message).toBe(
        `error while looking up the specified runtime path: exec: "/usr/local/bin/file-not-found": stat /usr/local/bin/file-not-found: no such file or directory`
      )
    }))
})

layer(NodeFileSystem.layer, { excludeTestServices: true })("TestRuntimeWrapping", (it) => {
  const before: Readonly<Record<string, RuntimeConfig>> = {
    "change-args": { path: "/bin/true", runtimeArgs: ["foo", "bar"] },
    dupe: { path: "/bin/true", runtimeArgs: ["foo", "bar"] },
    "change-path": { path: "/bin/true", runtimeArgs: ["baz"] },
    "drop-args": { path: "/bin/true", runtimeArgs: ["some", "arguments"] },
    "goes-away": { path: "/bin/true", runtimeArgs: ["bye"] }
  }
  const after: Readonly<Record<string, RuntimeConfig>> = {
    "change-args": { path: "/bin/true", runtimeArgs: ["baz", "quux"] },
    dupe: before["dupe"]!,
    "change-path": { path: "/bin/false", runtimeArgs: ["baz"] },
    "drop-args": { path: "/bin/true" }
  }

  // Reloading must not delete or modify the scripts existing containers run.
  it.effect.each(Object.keys(before))("%s", (name) =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      yield* withRegistry(registryOptions, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(config({ runtimes: before }))
          const script = binaryNameOf(yield* registry.get(name))
          // Unlike dockerd's, the content-hash suffix carries no `=` padding.
          expect(script).not.toContain("=")
          const content = yield* readText(script)
          yield* registry.reload(config({ runtimes: after }))
          expect(yield* readText(script)).toBe(content)
        }))
    }))
})
