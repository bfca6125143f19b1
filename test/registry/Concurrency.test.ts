/**
 * `get` racing setups, with the real file system: answers always come whole
 * from one table, and never name a wrapper script that is not there.
 */
import { existsSync } from "node:fs"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { expect, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FileSystem from "effect/FileSystem"
import type { RuntimeRegistry } from "../../src/registry/Registry.ts"
import type { RuntimeTable } from "../../src/registry/RuntimeTable.ts"
import { fileSystemWith } from "../wrappers/fileSystems.ts"
import { answerFrom, binaryNameOf, executable, probeLayer, runcFeatures, sandbox, withRegistry } from "./harness.ts"

/** Runs `body` `count` times, yielding after each, so other fibers interleave. */
const repeat = (count: number, body: () => Effect.Effect<void, unknown>) =>
  Effect.forEach(Array.from({ length: count }), () => Effect.andThen(body(), Effect.yieldNow), { discard: true })

layer(NodeFileSystem.layer, { excludeTestServices: true })("gets racing setups", (it) => {
  it.effect("10,000 gets interleaved with 100 reloads between two configurations each answer wholly from one", () =>
    Effect.gen(function*() {
      const { config } = yield* sandbox
      // The two configurations differ in every field of both answers, so a mix matches neither.
      const first = config({
        runtimes: { x: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/a.toml" } } },
        defaultRuntime: "x"
      })
      const second = config({ runtimes: { x: { path: "/usr/bin/crun" }, y: { path: "/usr/bin/youki" } }, defaultRuntime: "y" })
      yield* withRegistry({}, (registry) =>
        Effect.gen(function*() {
          const tables = [yield* registry.reload(second), yield* registry.boot(first)]
          const expected = tables.map((table) => JSON.stringify([answerFrom(table, "x"), answerFrom(table, "")]))
          const seen = [0, 0]
          const gets = repeat(10_000, () =>
            Effect.map(Effect.all([registry.get("x"), registry.get("")]), (answer) => {
              const index = expected.indexOf(JSON.stringify(answer))
              expect(index).not.toBe(-1)
              seen[index]!++
            }))
          let reloaded = 0
          const reloads = repeat(100, () => registry.reload([second, first][reloaded++ % 2]!))
          yield* Effect.all([gets, reloads], { concurrency: "unbounded" })
          // Both configurations were answered from, so the gets did race the reloads.
          expect(seen[0]! + seen[1]!).toBe(10_000)
          expect(Math.min(seen[0]!, seen[1]!)).toBeGreaterThan(0)
        }))
    }))

  it.effect("gets racing boots that alternate two configurations never hand out a script that is not there", () =>
    Effect.gen(function*() {
      const { bin, config } = yield* sandbox
      const binary = yield* executable(bin, "runtime")
      const configs = [
        config({ runtimes: { x: { path: binary, runtimeArgs: ["--a"] } }, defaultRuntime: "x" }),
        config({ runtimes: { x: { path: binary, runtimeArgs: ["--b"] } }, defaultRuntime: "x" })
      ]
      // A probe that takes a moment widens the window between writing and swapping.
      const probe = probeLayer(() => Effect.as(Effect.sleep("1 millis"), runcFeatures))
      yield* withRegistry({ probe }, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(configs[0]!)
          let booting = true
          let missing = 0
          let answered = 0
          const scriptsSeen = new Set<string>()
          const gets = Effect.whileLoop({
            while: () => booting,
            body: () =>
              Effect.flatMap(registry.get("x"), (choice) =>
                Effect.sync(() => {
                  answered++
                  const script = binaryNameOf(choice)
                  scriptsSeen.add(script)
                  // Checked in the same synchronous step as reading the table in force, so no boot runs in
                  // between: a script missing while the table in force names it was handed out missing.
                  if (!existsSync(script) && namedByCurrent(registry, script)) missing++
                })).pipe(Effect.andThen(Effect.yieldNow)),
            step: () => {}
          })
          let booted = 0
          const boots = repeat(40, () => registry.boot(configs[++booted % 2]!)).pipe(
            Effect.ensuring(Effect.sync(() => booting = false))
          )
          yield* Effect.all([boots, gets, gets], { concurrency: "unbounded" })
          expect(missing).toBe(0)
          expect(answered).toBeGreaterThan(40)
          expect(scriptsSeen.size).toBe(2)
        }))
    }))

  it.effect("a get whose pre-flight check a boot overtakes answers from the new table, whose script exists", () =>
    Effect.gen(function*() {
      const { bin, config } = yield* sandbox
      const binary = yield* executable(bin, "runtime")
      const before = config({ runtimes: { x: { path: binary, runtimeArgs: ["--a"] } } })
      const after = config({ runtimes: { x: { path: binary, runtimeArgs: ["--b"] } } })
      const checking = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      let holdPreflight = false
      // The pre-flight check stats the binary; the first one after `holdPreflight` waits for `release`.
      const fileSystem = fileSystemWith((real) => ({
        stat: (path) =>
          path === binary && holdPreflight
            ? Effect.andThen(
              Effect.sync(() => holdPreflight = false),
              Effect.andThen(Deferred.succeed(checking, undefined), Effect.andThen(Deferred.await(release), real.stat(path)))
            )
            : real.stat(path)
      }))
      yield* withRegistry({ fileSystem }, (registry) =>
        Effect.gen(function*() {
          yield* registry.boot(before)
          holdPreflight = true
          const get = yield* Effect.forkChild(registry.get("x"))
          yield* Deferred.await(checking)
          const renewed = yield* registry.boot(after)
          yield* Deferred.succeed(release, undefined)
          const script = binaryNameOf(yield* Fiber.join(get))
          expect(script).toBe(binaryNameOf(answerFrom(renewed, "x")))
          expect(yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.exists(script))).toBe(true)
        }))
    }))
})

/** Whether the table in force names `script`, read synchronously. */
const namedByCurrent = (registry: RuntimeRegistry, script: string): boolean => {
  const table: RuntimeTable = Effect.runSync(registry.table)
  return table.runtimes.some((runtime) => runtime.wrapper?.path === script)
}
