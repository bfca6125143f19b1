/**
 * Export followed by import gives back the same runtime table, over
 * generated configurations: every runtime with its shim, options, wrapper
 * script and configuration as written, the default runtime and the cgroup
 * driver, on hosts of every kind.
 *
 * Each format is generated with what it can express: containerd takes
 * everything but a ConfigBody; CRI-O and Podman take absolute binary paths
 * (they are written located) and no runc shim options beyond dockerd's own;
 * Podman runs no shims at all.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { ExportFormat, ImportFormat } from "../../src/export/Formats.ts"
import type { HostSnapshot } from "../../src/host/HostFacts.ts"
import type { RuntimeTable } from "../../src/registry/RuntimeTable.ts"
import { exported, imported, tableOf } from "./support.ts"

const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/).filter((name) => name !== "runc")

const absolutePath = fc.stringMatching(/^(\/[a-z0-9._-]{1,8}){1,3}$/)

/** Arguments as administrators write them, and some no shell should touch. */
const argument = fc.oneof(
  fc.constantFrom("--debug", "--systemd-cgroup", "a b", "'", "$HOME", "*", "-"),
  fc.string({ maxLength: 10 }).filter((word) => !word.includes("\0"))
)

const pathRuntime = (binary: fc.Arbitrary<string>) =>
  fc.record({ path: binary, runtimeArgs: fc.array(argument, { maxLength: 3 }) }).map(({ path, runtimeArgs }) =>
    runtimeArgs.length > 0 ? { path, runtimeArgs } : { path }
  )

const shimRuntime = (options: fc.Arbitrary<object | undefined>) =>
  fc.record({ shim: label, options }).map(({ options, shim }) => ({
    runtimeType: `io.containerd.${shim}.v2`,
    ...(options === undefined ? {} : { options })
  }))

const configPathOnly = fc.option(absolutePath.map((path) => ({ ConfigPath: path })), { nil: undefined })

/** runc shim options that are not exactly dockerd's for a path runtime (those come back as one). */
const runcShimRuntime = fc.record({
  BinaryName: fc.option(absolutePath, { nil: undefined }),
  IoUid: fc.nat(65535),
  ShimCgroup: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  SystemdCgroup: fc.option(fc.boolean(), { nil: undefined }),
  Root: fc.option(absolutePath, { nil: undefined })
}, { requiredKeys: ["IoUid"] }).map((options) => ({ runtimeType: "io.containerd.runc.v2", options }))

const runhcsRuntime = fc.record({
  DebugType: fc.constantFrom("NPIPE", "FILE", "ETW"),
  VmProcessorCount: fc.integer({ min: -5, max: 64 }),
  DefaultContainerAnnotations: fc.dictionary(label, fc.string({ maxLength: 6 }), { maxKeys: 2 })
}).map((options) => ({ runtimeType: "io.containerd.runhcs.v1", options }))

const runtimeFor: Record<ImportFormat, fc.Arbitrary<object>> = {
  containerd: fc.oneof(
    pathRuntime(fc.oneof(absolutePath, fc.constantFrom("crun", "runc"))),
    shimRuntime(fc.option(fc.record({ ConfigPath: absolutePath, TypeUrl: fc.constantFrom("io.containerd.kata.v2.Options") }, { requiredKeys: ["ConfigPath"] }), { nil: undefined })),
    runcShimRuntime,
    runhcsRuntime
  ),
  "containerd-v3": fc.oneof(pathRuntime(absolutePath), shimRuntime(configPathOnly), runcShimRuntime),
  crio: fc.oneof(pathRuntime(absolutePath), shimRuntime(configPathOnly)),
  podman: pathRuntime(absolutePath)
}

const host: fc.Arbitrary<HostSnapshot> = fc.record({ ramdisk: fc.boolean(), cgroupV2: fc.boolean(), systemdBooted: fc.boolean() })

const configuration = (format: ImportFormat) =>
  fc.dictionary(label, runtimeFor[format], { maxKeys: 4 }).chain((runtimes) =>
    fc.record({
      runtimes: fc.constant(runtimes),
      "default-runtime": fc.constantFrom("", "runc", ...Object.keys(runtimes)),
      "exec-opts": fc.constantFrom([], ["native.cgroupdriver=systemd"], ["native.cgroupdriver=cgroupfs"])
    })
  )

/** Everything a table decides, less its warnings (which name daemon.json keys the way they were written). */
const decisions = (table: RuntimeTable) => ({
  defaultRuntime: table.defaultRuntime,
  cgroupDriver: table.cgroupDriver,
  runtimes: table.runtimes
})

/** Absolute paths are kept; bare names are found in /usr/bin; shim binaries too. */
const locate = (binary: string) => `/usr/bin/${binary}`

const roundTrip = (format: ImportFormat & ExportFormat, config: { readonly "exec-opts": ReadonlyArray<string> }, node: HostSnapshot) => {
  const before = tableOf(config, node)
  const scripts = new Map(before.runtimes.flatMap(({ wrapper }) => wrapper === undefined ? [] : [[wrapper.path, wrapper.content] as const]))
  const text = exported(before, format, {}, locate).text
  const base = { "exec-opts": config["exec-opts"] }
  const back = imported(format, text, { host: node, scripts, base, locate })
  const after = tableOf({ ...base, ...back.daemonJson }, node)
  return { before, after, findings: back.findings }
}

describe("export then import", () => {
  for (const format of ["containerd", "containerd-v3", "crio", "podman"] as const) {
    it(`gives back the same runtime table through ${format}`, () => {
      fc.assert(
        fc.property(configuration(format), host, (config, node) => {
          const { after, before, findings } = roundTrip(format, config, node)
          expect(decisions(after)).toEqual(decisions(before))
          expect(findings.filter(({ level }) => level === "problem")).toEqual([])
        }),
        { numRuns: 150 }
      )
    })
  }
})
