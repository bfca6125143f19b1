import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { DaemonConfig } from "../../src/config/DaemonConfig.ts"
import * as Layer from "effect/Layer"
import { ProbeError } from "../../src/features/ProbeError.ts"
import * as Registry from "../../src/registry/Registry.ts"
import type { RuntimeTable } from "../../src/registry/RuntimeTable.ts"
import * as TestRegistry from "../../src/registry/TestRegistry.ts"

// The README's embedder example, as it is there: code under test that asks the registry, and its test.

/** The embedder's code: what a container's create request names for its runtime. */
const runtimeOfContainer = (requested: string | undefined) =>
  Effect.gen(function*() {
    const registry = yield* Registry.RuntimeRegistry
    const { options, runtime, shim } = yield* registry.get(requested ?? "")
    return { runtime, shim, optionsType: options?.typeUrl }
  })

describe("an embedder's test", () => {
  const daemonJson = JSON.stringify({
    "default-runtime": "crun",
    runtimes: {
      crun: { path: "/usr/bin/crun" },
      kata: { runtimeType: "io.containerd.kata.v2" }
    }
  })

  it.effect("a container without a runtime gets the default one", () =>
    Effect.gen(function*() {
      expect(yield* runtimeOfContainer(undefined)).toEqual({
        runtime: "crun",
        shim: "io.containerd.runc.v2",
        optionsType: "containerd.runc.v1.Options"
      })
    }).pipe(Effect.provide(TestRegistry.layer(daemonJson))))

  it.effect("a container asking for kata gets kata's shim", () =>
    Effect.gen(function*() {
      expect((yield* runtimeOfContainer("kata")).shim).toBe("io.containerd.kata.v2")
    }).pipe(Effect.provide(TestRegistry.layer(daemonJson))))
})

/** dockerd's defaults: no runtimes of its own. */
const defaults: DaemonConfig = {
  runtimes: {},
  defaultRuntime: "",
  execOpts: [],
  dataRoot: "/var/lib/docker",
  execRoot: "/var/run/docker"
}

describe("TestRegistry.layer", () => {
  it.effect("takes a configuration as well as daemon.json's text", () =>
    Effect.gen(function*() {
      const registry = yield* Registry.RuntimeRegistry
      expect((yield* registry.get("")).runtime).toBe("runc")
    }).pipe(Effect.provide(TestRegistry.layer(defaults))))

  it.effect("fails to build as boot fails, with dockerd's wording", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(TestRegistry.layer('{"runtimes": {"runc": {"path": "/x"}}}')))
      expect(error.message).toBe("runtime name 'runc' is reserved")
    }))

  it.effect("fails to build on daemon.json that is not JSON, saying where", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(TestRegistry.layer('{"runtimes": ')))
      expect(error._tag).toBe("ConfigSyntaxError")
    }))

  it.effect("names wrapper scripts where they would be, without writing them", () =>
    Effect.gen(function*() {
      const registry = yield* Registry.RuntimeRegistry
      const choice = yield* registry.get("debug")
      expect(choice.options?.value).toMatchObject({ binaryName: expect.stringMatching(/^\/var\/lib\/docker\/runtimes\/debug\./) })
    }).pipe(Effect.provide(TestRegistry.layer('{"runtimes": {"debug": {"path": "runc", "runtimeArgs": ["--debug"]}}}'))))

  it.effect("reports the features a test gives", () =>
    Effect.gen(function*() {
      const registry = yield* Registry.RuntimeRegistry
      expect(yield* registry.features("crun")).toEqual({ ociVersionMax: "1.2.0" })
    }).pipe(Effect.provide(TestRegistry.layer('{"runtimes": {"crun": {"path": "/usr/bin/crun"}}}', {
      features: () => ({ ociVersionMax: "1.2.0" })
    }))))

  it.effect("turns a probe a test makes fail into a warning of the table", () =>
    Effect.gen(function*() {
      const table = yield* (yield* Registry.RuntimeRegistry).table
      expect(table.warnings.map((warning) => warning.path)).toEqual(["runtimes.crun"])
    }).pipe(Effect.provide(TestRegistry.layer('{"runtimes": {"crun": {"path": "/usr/bin/crun"}}}', {
      features: (argv) =>
        argv[0] === "/usr/bin/crun" ? new ProbeError({ argv, reason: { _tag: "Exit", exitCode: 1, stderr: "" } }) : {}
    }))))

  it.effect("fails the pre-flight check of a runtime whose binary the test says is missing", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip((yield* Registry.RuntimeRegistry).get("debug"))
      expect(error.message).toBe(
        "error while looking up the specified runtime path: exec: \"/opt/gone\": stat /opt/gone: no such file or directory"
      )
    }).pipe(Effect.provide(TestRegistry.layer('{"runtimes": {"debug": {"path": "/opt/gone", "runtimeArgs": ["-x"]}}}', {
      binaries: (file) => file === "/opt/gone" ? undefined : file
    }))))

  it.effect("reloads with the same doubles", () =>
    Effect.gen(function*() {
      const registry = yield* Registry.RuntimeRegistry
      yield* registry.reload({ ...defaults, defaultRuntime: "io.containerd.runc.v2" })
      expect((yield* registry.get("")).runtime).toBe("io.containerd.runc.v2")
    }).pipe(Effect.provide(TestRegistry.layer("{}"))))
})

describe("TestRegistry.layerFromTable", () => {
  it.effect("answers from the table given, as if booted with it", () =>
    Effect.gen(function*() {
      const table = yield* Effect.flatMap(Registry.RuntimeRegistry, (registry) => registry.table).pipe(
        Effect.provide(TestRegistry.layer('{"runtimes": {"kata": {"runtimeType": "io.containerd.kata.v2"}}}'))
      )
      const restored: RuntimeTable = JSON.parse(JSON.stringify(table))
      const shim = yield* Effect.flatMap(Registry.RuntimeRegistry, (registry) => registry.get("kata")).pipe(
        Effect.map((choice) => choice.shim),
        Effect.provide(TestRegistry.layerFromTable(restored))
      )
      expect(shim).toBe("io.containerd.kata.v2")
    }))
})
