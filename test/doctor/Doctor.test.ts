/**
 * The doctor through the library, over test layers and the real file system:
 * real executables made with chmod in a temporary directory, a PATH of the
 * test's choosing, wrapper scripts written by hand.
 */
import { posix } from "node:path"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as FeatureProbe from "../../src/features/FeatureProbe.ts"
import { ProbeError } from "../../src/features/ProbeError.ts"
import { planWrapper } from "../../src/wrappers/WrapperScript.ts"
import { executable, listing, scriptedProbe } from "../registry/harness.ts"
import { checkNames, checkOf, runtimeOf, sandbox } from "./harness.ts"
import * as Layer from "effect/Layer"
import * as FileIdentity from "../../src/host/FileIdentity.ts"

const withArgs = (args: ReadonlyArray<string>, path = "/usr/sbin/runc") => ({ runtimes: { custom: { path, runtimeArgs: args } } })

layer(Layer.merge(NodeFileSystem.layer, FileIdentity.layer), { excludeTestServices: true })("doctor", (it) => {
  describe("shim", () => {
    it.effect("a shim on PATH passes, saying where it was found", () =>
      Effect.gen(function*() {
        const { bin, config, run } = yield* sandbox
        const diagnosis = yield* run(config())
        expect(checkOf(diagnosis, "runc", "shim")).toEqual({
          check: "shim",
          ok: true,
          severity: "error",
          message: `containerd-shim-runc-v2 found on PATH: ${bin}/containerd-shim-runc-v2`
        })
      }))

    it.effect("a shim missing from PATH and from beside containerd fails, naming the binary and both places", () =>
      Effect.gen(function*() {
        const { bin, config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }))
        expect(checkOf(diagnosis, "kata", "shim")).toMatchObject({
          ok: false,
          message: `containerd-shim-kata-v2 not found on PATH or beside ${bin}/containerd`
        })
        expect(runtimeOf(diagnosis, "kata").ok).toBe(false)
      }))

    it.effect("a shim beside containerd passes when it is not on PATH", () =>
      Effect.gen(function*() {
        const { config, opt, run } = yield* sandbox
        const containerd = yield* executable(opt, "containerd")
        yield* executable(opt, "containerd-shim-kata-v2")
        const diagnosis = yield* run(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }), {
          containerd
        })
        expect(checkOf(diagnosis, "kata", "shim")).toMatchObject({
          ok: true,
          message: `containerd-shim-kata-v2 found beside containerd: ${opt}/containerd-shim-kata-v2`
        })
      }))

    it.effect("beside containerd means beside the file a symbolic link to containerd points at", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { bin, config, opt, root, run } = yield* sandbox
        const real = yield* executable(opt, "containerd")
        yield* executable(opt, "containerd-shim-kata-v2")
        const links = posix.join(root, "links")
        yield* fs.makeDirectory(links)
        yield* fs.symlink(real, posix.join(links, "containerd"))
        const diagnosis = yield* run(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }), {
          path: `${links}:${bin}`
        })
        expect(diagnosis.containerd).toEqual({ _tag: "Found", path: real })
        expect(checkOf(diagnosis, "kata", "shim").ok).toBe(true)
      }))

    it.effect("a shim beside containerd that cannot be executed fails, as containerd would pick it anyway", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { bin, config, run } = yield* sandbox
        const shim = posix.join(bin, "..", "beside", "containerd-shim-kata-v2")
        yield* fs.makeDirectory(posix.dirname(shim))
        const containerd = yield* executable(posix.dirname(shim), "containerd")
        yield* fs.writeFileString(shim, "#!/bin/sh\n")
        yield* fs.chmod(shim, 0o644)
        const diagnosis = yield* run(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }), {
          containerd
        })
        const check = checkOf(diagnosis, "kata", "shim")
        expect(check.ok).toBe(false)
        expect(check.message).toContain(`containerd would run ${posix.normalize(shim)}, which fails`)
        expect(check.message).toContain("permission denied")
      }))

    it.effect("without containerd the shim is looked for on PATH only, and the message says so", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }), {
          containerd: "/nonexistent/containerd"
        })
        expect(diagnosis.containerd._tag).toBe("NotFound")
        expect(checkOf(diagnosis, "kata", "shim").message).toBe(
          "containerd-shim-kata-v2 not found on PATH; containerd itself was not found " +
            `(exec: "/nonexistent/containerd": stat /nonexistent/containerd: no such file or directory), ` +
            "so not beside it either"
        )
        expect(checkOf(diagnosis, "runc", "shim").ok).toBe(true)
      }))

    it.effect("an absolute runtimeType passes when it is an executable file", () =>
      Effect.gen(function*() {
        const { config, opt, run } = yield* sandbox
        const shim = yield* executable(opt, "my-shim")
        const diagnosis = yield* run(config({ runtimes: { custom: { runtimeType: shim } } }))
        expect(checkOf(diagnosis, "custom", "shim")).toMatchObject({ ok: true, message: `${shim} is executable` })
      }))

    it.effect("an absolute runtimeType that does not exist fails", () =>
      Effect.gen(function*() {
        const { config, opt, run } = yield* sandbox
        const shim = posix.join(opt, "no-shim")
        const diagnosis = yield* run(config({ runtimes: { custom: { runtimeType: shim } } }))
        expect(checkOf(diagnosis, "custom", "shim")).toMatchObject({
          ok: false,
          message: `containerd cannot start the shim ${shim}: exec: "${shim}": stat ${shim}: no such file or directory`
        })
      }))

    it.effect("a runtimeType containerd would refuse fails: a relative path, or a name without a dot", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({
          runtimes: { relative: { runtimeType: "shims/my.shim.v1" }, dotless: { runtimeType: "myshim" } }
        }))
        expect(checkOf(diagnosis, "relative", "shim").message).toBe(
          `containerd refuses the runtime name "shims/my.shim.v1": a runtime name with a / must be an absolute path to the shim binary`
        )
        expect(checkOf(diagnosis, "dotless", "shim")).toMatchObject({ ok: false })
        expect(checkOf(diagnosis, "dotless", "shim").message).toContain(`containerd refuses the runtime name "myshim"`)
      }))

    it.effect("a default runtime that is only a containerd runtime name is checked too", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ defaultRuntime: "io.containerd.kata.v2" }))
        expect(diagnosis.runtimes.map((runtime) => runtime.name)).toEqual([
          "io.containerd.kata.v2",
          "io.containerd.runc.v2",
          "runc"
        ])
        expect(checkNames(diagnosis, "io.containerd.kata.v2")).toEqual(["shim", "kubernetes-handler"])
        expect(diagnosis.defaultOk).toBe(false)
      }))
  })

  describe("runtime binary", () => {
    it.effect("a path runtime's executable binary passes", () =>
      Effect.gen(function*() {
        const { config, opt, run } = yield* sandbox
        const crun = yield* executable(opt, "crun")
        const diagnosis = yield* run(config({ runtimes: { crun: { path: crun } } }))
        expect(checkOf(diagnosis, "crun", "runtime-binary")).toEqual({
          check: "runtime-binary",
          ok: true,
          severity: "error",
          message: `${crun} is executable`
        })
      }))

    it.effect("a path runtime whose binary is missing fails in Go's words", () =>
      Effect.gen(function*() {
        const { config, opt, run } = yield* sandbox
        const gone = posix.join(opt, "gone")
        const diagnosis = yield* run(config({ runtimes: { gone: { path: gone } } }))
        expect(checkOf(diagnosis, "gone", "runtime-binary").message).toBe(
          `containers would fail to start: exec: "${gone}": stat ${gone}: no such file or directory`
        )
        expect(runtimeOf(diagnosis, "gone").ok).toBe(false)
      }))

    it.effect("a path runtime whose binary is not executable fails", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { config, opt, run } = yield* sandbox
        const plain = posix.join(opt, "plain")
        yield* fs.writeFileString(plain, "#!/bin/sh\n")
        const diagnosis = yield* run(config({ runtimes: { plain: { path: plain } } }))
        expect(checkOf(diagnosis, "plain", "runtime-binary")).toMatchObject({
          ok: false,
          message: `containers would fail to start: exec: "${plain}": permission denied`
        })
      }))

    it.effect("the stock runtimes run runc from PATH", () =>
      Effect.gen(function*() {
        const { bin, config, run } = yield* sandbox
        const diagnosis = yield* run(config())
        for (const name of ["runc", "io.containerd.runc.v2"]) {
          expect(checkOf(diagnosis, name, "runtime-binary").message).toBe(`runc found on PATH: ${bin}/runc`)
        }
      }))

    it.effect("without runc on PATH the stock runtimes fail", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { bin, config, run } = yield* sandbox
        yield* fs.remove(posix.join(bin, "runc"))
        const diagnosis = yield* run(config())
        expect(checkOf(diagnosis, "runc", "runtime-binary").message).toBe(
          `containers would fail to start: exec: "runc": executable file not found in $PATH`
        )
        expect(diagnosis.defaultOk).toBe(false)
      }))

    it.effect("a runc shim runtime runs its BinaryName option", () =>
      Effect.gen(function*() {
        const { config, opt, run } = yield* sandbox
        const youki = posix.join(opt, "youki")
        const diagnosis = yield* run(config({
          runtimes: { youki: { runtimeType: "io.containerd.runc.v2", options: { BinaryName: youki } } }
        }))
        expect(checkOf(diagnosis, "youki", "runtime-binary")).toMatchObject({ ok: false })
        expect(checkOf(diagnosis, "youki", "runtime-binary").message).toContain(`exec: "${youki}"`)
      }))

    it.effect("other shims have no runtime binary to check", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }))
        expect(checkNames(diagnosis, "kata")).toEqual(["shim", "kubernetes-handler"])
      }))
  })

  describe("wrapper script", () => {
    const wrapperOf = (diagnosis: Parameters<typeof checkOf>[0]) => checkOf(diagnosis, "custom", "wrapper-script")
    /** The script the doctor expects for `withArgs(["--debug"])`. */
    const expected = (scripts: string) => planWrapper(scripts, "custom", "/usr/sbin/runc", ["--debug"])

    it.effect("a script that would be written into a missing directory passes, which is then created", () =>
      Effect.gen(function*() {
        const { config, run, scripts } = yield* sandbox
        const diagnosis = yield* run(config(withArgs(["--debug"])))
        const check = wrapperOf(diagnosis)
        expect(check.ok).toBe(true)
        expect(check.message).toMatch(new RegExp(`^would be written to ${scripts}/custom\\.[^ ]{52} \\(creating ${scripts}\\)$`))
      }))

    it.effect("a script that would be written into an existing directory passes", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { config, run, scripts } = yield* sandbox
        yield* fs.makeDirectory(scripts, { recursive: true })
        const check = wrapperOf(yield* run(config(withArgs(["--debug"]))))
        expect(check.ok).toBe(true)
        expect(check.message).toMatch(new RegExp(`^would be written to ${scripts}/custom\\.[^ ]{52}$`))
      }))

    it.effect("a script fails when its directory cannot be created: the data root lies below a file", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { config, root, run } = yield* sandbox
        const file = posix.join(root, "file")
        yield* fs.writeFileString(file, "")
        const check = wrapperOf(yield* run(config({ ...withArgs(["--debug"]), dataRoot: posix.join(file, "data") })))
        expect(check.ok).toBe(false)
        expect(check.message).toContain(`cannot be written: ${file}/data/runtimes cannot be created: ${file} is a File, not a directory`)
      }))

    it.effect("a script fails when the scripts directory is a file", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { config, dataRoot, run, scripts } = yield* sandbox
        yield* fs.makeDirectory(dataRoot)
        yield* fs.writeFileString(scripts, "")
        const check = wrapperOf(yield* run(config(withArgs(["--debug"]))))
        expect(check.message).toContain(`${scripts} exists and is a File, not a directory`)
      }))

    it.effect("an existing script with the right content, executable by its owner, passes", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { config, run, scripts } = yield* sandbox
        const { content, path } = expected(scripts)
        yield* fs.makeDirectory(scripts, { recursive: true })
        yield* fs.writeFileString(path, content)
        yield* fs.chmod(path, 0o700)
        expect(wrapperOf(yield* run(config(withArgs(["--debug"]))))).toMatchObject({
          ok: true,
          message: `${path} is in place, as it should be`
        })
      }))

    it.effect("an existing script with other content fails", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { config, run, scripts } = yield* sandbox
        const { content, path } = expected(scripts)
        yield* fs.makeDirectory(scripts, { recursive: true })
        yield* fs.writeFileString(path, content.replace("--debug", "--debuG"))
        yield* fs.chmod(path, 0o700)
        const diagnosis = yield* run(config(withArgs(["--debug"])))
        expect(wrapperOf(diagnosis)).toMatchObject({ ok: false, severity: "error" })
        expect(wrapperOf(diagnosis).message).toContain(`${path} exists but does not hold the script it should`)
        expect(runtimeOf(diagnosis, "custom").ok).toBe(false)
      }))

    it.effect("an existing script its owner cannot execute fails, naming its mode", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const { config, run, scripts } = yield* sandbox
        const { content, path } = expected(scripts)
        yield* fs.makeDirectory(scripts, { recursive: true })
        yield* fs.writeFileString(path, content)
        yield* fs.chmod(path, 0o644)
        expect(wrapperOf(yield* run(config(withArgs(["--debug"]))))).toMatchObject({
          ok: false,
          message: `${path} is not executable by its owner (mode 0644): the shim cannot run it`
        })
      }))

    it.effect("a runtime without runtimeArgs has no wrapper script to check", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { custom: { path: "/usr/sbin/runc" } } }))
        expect(checkNames(diagnosis, "custom")).toEqual(["shim", "runtime-binary", "features", "kubernetes-handler"])
      }))

    it.effect("the doctor writes nothing", () =>
      Effect.gen(function*() {
        const { config, root, run } = yield* sandbox
        const before = yield* listing(root)
        yield* run(config(withArgs(["--debug"])))
        expect(yield* listing(root)).toEqual(before)
      }))
  })

  describe("runtime args", () => {
    it.effect("--root with its value as the next argument is reported with the runtimeType fix", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config(withArgs(["--root", "/run/custom"])))
        const check = checkOf(diagnosis, "custom", "runtime-args")
        expect(check).toMatchObject({ ok: false, severity: "warning" })
        expect(check.message).toBe(
          "runtimeArgs[0] --root /run/custom never takes effect: the runc shim passes its own --root after it " +
            "(moby/moby#37730), so runc keeps its state under /var/run/docker/runtime-runc; to choose runc's root, " +
            `configure the runtime as {"runtimeType":"io.containerd.runc.v2","options":{"BinaryName":"/usr/sbin/runc",` +
            `"Root":"/run/custom"}} instead`
        )
        expect(runtimeOf(diagnosis, "custom").ok).toBe(true)
      }))

    it.effect("--root=X is reported the same way, and other arguments are said to be lost with the fix", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const check = checkOf(yield* run(config(withArgs(["--debug", "--root=/run/custom"]))), "custom", "runtime-args")
        expect(check.message).toMatch(/^runtimeArgs\[1\] --root \/run\/custom never takes effect/)
        expect(check.message).toContain(`"Root":"/run/custom"`)
        expect(check.message).toContain("its other arguments cannot come along")
      }))

    it.effect("--log and --log-format are reported with what to do instead", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const check = checkOf(
          yield* run(config(withArgs(["--log", "/tmp/runc.log", "--log-format=text"]))),
          "custom",
          "runtime-args"
        )
        const [log, format] = check.message.split("; remove it")
        expect(log).toContain("runtimeArgs[0] --log /tmp/runc.log never takes effect")
        expect(log).toContain("log.json")
        expect(format).toContain("runtimeArgs[2] --log-format text never takes effect")
        expect(format).toContain("--log-format json")
      }))

    it.effect("runtimeArgs the shim does not override pass", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const check = checkOf(yield* run(config(withArgs(["--debug", "--systemd-cgroup"]))), "custom", "runtime-args")
        expect(check).toMatchObject({ ok: true, message: "no runtimeArg is one the runc shim overrides" })
      }))
  })

  describe("features", () => {
    it.effect("a probed runtime's features pass, summarised", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const check = checkOf(yield* run(config()), "runc", "features")
        expect(check).toEqual({ check: "features", ok: true, severity: "warning", message: "runc features: OCI 1.0.0–1.1.0, 1 hook" })
      }))

    it.effect("a failed probe is a warning quoting setup's own, and the runtime stays ok", () =>
      Effect.gen(function*() {
        const { config, opt, run } = yield* sandbox
        const crun = yield* executable(opt, "crun", "exit 1")
        const probe = scriptedProbe([[
          [crun],
          new ProbeError({ argv: [crun], reason: { _tag: "Exit", exitCode: 1, stderr: "" } })
        ]])
        const diagnosis = yield* run(config({ runtimes: { crun: { path: crun } } }), { probe: probe.layer })
        expect(checkOf(diagnosis, "crun", "features")).toMatchObject({
          ok: false,
          severity: "warning",
          message: `Failed to run [${crun} features]: "" (exit status 1); dockerd carries on without knowing its features`
        })
        expect(runtimeOf(diagnosis, "crun").ok).toBe(true)
        expect(diagnosis.warnings).toEqual([])
        expect(probe.calls([crun])).toBe(1)
      }))

    it.effect("the real runc answers its features", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { real: { path: "/usr/sbin/runc" } } }), {
          probe: FeatureProbe.layer
        })
        const check = checkOf(diagnosis, "real", "features")
        expect(check.ok).toBe(true)
        expect(check.message).toMatch(/^\/usr\/sbin\/runc features: OCI 1\.0\.0–\S+, \d+ hooks/)
      }))

    it.effect("the real crun 1.8.1, which has no features command, is a warning", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { crun: { path: "/usr/bin/crun" } } }), {
          probe: FeatureProbe.layer
        })
        const check = checkOf(diagnosis, "crun", "features")
        expect(check).toMatchObject({ ok: false, severity: "warning" })
        expect(check.message).toMatch(/^Failed to run \[\/usr\/bin\/crun features\]: .*unknown command/)
        expect(runtimeOf(diagnosis, "crun").ok).toBe(true)
      }))

    it.effect("other shims are not probed and have no features check", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }))
        expect(checkNames(diagnosis, "kata")).not.toContain("features")
      }))
  })

  describe("kubernetes handler", () => {
    it.effect("a configured name that is a DNS label passes", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { "kata-qemu": { runtimeType: "io.containerd.kata.v2" } } }))
        expect(checkOf(diagnosis, "kata-qemu", "kubernetes-handler")).toEqual({
          check: "kubernetes-handler",
          ok: true,
          severity: "info",
          message: "usable as a Kubernetes RuntimeClass handler"
        })
      }))

    it.effect("a dotted configured name fails as information only: the runtime stays ok", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { "my.runc": { path: "/usr/sbin/runc" } } }))
        const check = checkOf(diagnosis, "my.runc", "kubernetes-handler")
        expect(check).toMatchObject({ ok: false, severity: "info" })
        expect(check.message).toMatch(/^not usable as a Kubernetes RuntimeClass handler: it contains "\."/)
        expect(runtimeOf(diagnosis, "my.runc").ok).toBe(true)
        expect(diagnosis.ok).toBe(true)
      }))

    it.effect("the stock runtimes, which nobody configured, get no handler check", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config())
        expect(checkNames(diagnosis, "runc")).not.toContain("kubernetes-handler")
        expect(checkNames(diagnosis, "io.containerd.runc.v2")).not.toContain("kubernetes-handler")
      }))
  })

  describe("verdicts", () => {
    it.effect("every runtime in name order, each with its checks in a fixed order", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({
          runtimes: { zz: { path: "/usr/sbin/runc", runtimeArgs: ["--debug"] }, aa: { runtimeType: "io.containerd.aa.v1" } }
        }))
        expect(diagnosis.runtimes.map((runtime) => runtime.name)).toEqual(["aa", "io.containerd.runc.v2", "runc", "zz"])
        expect(checkNames(diagnosis, "zz")).toEqual([
          "shim",
          "runtime-binary",
          "wrapper-script",
          "runtime-args",
          "features",
          "kubernetes-handler"
        ])
      }))

    it.effect("a broken runtime that is not the default leaves the default ok", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } }))
        expect(diagnosis).toMatchObject({ ok: false, defaultRuntime: "runc", defaultOk: true })
      }))

    it.effect("a broken default runtime is not ok", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({
          runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } },
          defaultRuntime: "kata"
        }))
        expect(diagnosis).toMatchObject({ ok: false, defaultRuntime: "kata", defaultOk: false })
      }))

    it.effect("warnings no check reports are kept for the report", () =>
      Effect.gen(function*() {
        const { config, run } = yield* sandbox
        const diagnosis = yield* run(config({
          runtimes: { kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPth: "/etc/kata.toml" } } }
        }))
        expect(diagnosis.warnings.map((warning) => warning.path)).toEqual([`runtimes.kata.options.ConfigPth`])
      }))
  })
})
