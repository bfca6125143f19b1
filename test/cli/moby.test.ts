/**
 * moby's `daemon/runtime_unix_test.go` (TestSetupRuntimes, TestGetRuntime,
 * TestGetRuntime_PreflightCheck, TestRuntimeWrapping), case for case, through
 * the CLI: each Go config becomes a daemon.json, `setupRuntimes` becomes
 * `validate`, `runtimes.Get` becomes `resolve --json`, and `cfg.Root =
 * t.TempDir()` becomes `--data-root` in a temporary directory.
 *
 * Where this project deliberately differs from dockerd, the test asserts our
 * behaviour and says why.
 */
import { describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { runCli, sandbox, stdoutJson } from "./harness.ts"

const runcShim = "io.containerd.runc.v2"
const runcOptionsType = "containerd.runc.v1.Options"

describe.concurrent("TestSetupRuntimes", () => {
  const cases: ReadonlyArray<{ readonly name: string; readonly config: object; readonly expectErr?: string }> = [
    { name: "Empty", config: { runtimes: { myruntime: {} } }, expectErr: "either a runtimeType or a path must be configured" },
    {
      name: "ArgsOnly",
      config: { runtimes: { myruntime: { runtimeArgs: ["foo", "bar"] } } },
      expectErr: "either a runtimeType or a path must be configured"
    },
    {
      name: "OptionsOnly",
      config: { runtimes: { myruntime: { options: { hello: "world" } } } },
      expectErr: "either a runtimeType or a path must be configured"
    },
    {
      name: "PathAndType",
      config: { runtimes: { myruntime: { path: "/bin/true", runtimeType: "io.containerd.runsc.v1" } } },
      expectErr: "cannot configure both"
    },
    {
      name: "PathAndOptions",
      config: { runtimes: { myruntime: { path: "/bin/true", options: { a: "b" } } } },
      expectErr: "options cannot be used with a path runtime"
    },
    {
      name: "TypeAndArgs",
      config: { runtimes: { myruntime: { runtimeType: "io.containerd.runsc.v1", runtimeArgs: ["--version"] } } },
      expectErr: "args cannot be used with a runtimeType runtime"
    },
    {
      name: "PathArgsOptions",
      config: { runtimes: { myruntime: { path: "/bin/true", runtimeArgs: ["--version"], options: { hmm: 3 } } } },
      expectErr: "options cannot be used with a path runtime"
    },
    {
      name: "TypeOptionsArgs",
      config: {
        runtimes: { myruntime: { runtimeType: "io.containerd.kata.v2", options: { a: "b" }, runtimeArgs: ["--help"] } }
      },
      expectErr: "args cannot be used with a runtimeType runtime"
    },
    {
      name: "PathArgsTypeOptions",
      config: {
        runtimes: {
          myruntime: { path: "/bin/true", runtimeArgs: ["foo"], runtimeType: "io.containerd.runsc.v1", options: { a: "b" } }
        }
      },
      expectErr: "cannot configure both"
    },
    { name: "CannotOverrideStockRuntime", config: { runtimes: { runc: {} } }, expectErr: "runtime name 'runc' is reserved" },
    { name: "SetStockRuntimeAsDefault", config: { "default-runtime": "runc" } },
    { name: "SetLinuxRuntimeAsDefault", config: { "default-runtime": runcShim } },
    {
      name: "CannotSetBogusRuntimeAsDefault",
      config: { "default-runtime": "notdefined" },
      expectErr: "specified default runtime 'notdefined' does not exist"
    },
    {
      name: "SetDefinedRuntimeAsDefault",
      config: { runtimes: { "some-runtime": { path: "/usr/local/bin/file-not-found" } }, "default-runtime": "some-runtime" }
    }
  ]

  for (const testCase of cases) {
    it(testCase.name, async () => {
      const box = sandbox()
      const run = await runCli(["validate", ...box.flags(box.config(testCase.config))])
      if (testCase.expectErr === undefined) {
        expect(run.code).toBe(0)
        expect(run.stdout).toMatch(/^valid: /)
      } else {
        expect(run.code).toBe(1)
        expect(run.stderr).toContain(testCase.expectErr)
        expect(run.stdout).toBe("")
      }
      // validate writes nothing, whatever the outcome (Go's test made the directory itself).
      expect(existsSync(box.dataRoot)).toBe(false)
    })
  }

  it("SetDefinedRuntimeAsDefault also warns that the runtime's binary is missing (not in moby: a check can say so)", async () => {
    const box = sandbox()
    const config = box.config({
      runtimes: { "some-runtime": { path: "/usr/local/bin/file-not-found" } },
      "default-runtime": "some-runtime"
    })
    const run = await runCli(["validate", ...box.flags(config)])
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(
      `warning: runtimes.some-runtime.path: containers using this runtime would fail to start: exec: "/usr/local/bin/file-not-found"`
    )
  })
})

describe.concurrent("TestGetRuntime", () => {
  const configuredRtName = "my/custom.runtime.v1"
  const box = sandbox()
  const config = box.config({
    runtimes: {
      [configuredRtName]: { path: "/bin/true" },
      withargs: { path: "/bin/false", runtimeArgs: ["--version"] },
      shimwithopts: { runtimeType: runcShim, options: { IoUid: 42 } },
      wasmedge: { runtimeType: "io.containerd.wasmedge.v1" },
      shimwithpath: { runtimeType: "/path/to/my/shim" },
      gvisor: {
        runtimeType: "io.containerd.runsc.v1",
        options: { TypeUrl: "io.containerd.runsc.v1.options", ConfigPath: "/path/to/runsc.toml" }
      }
    }
  })
  const resolve = async (name: string, ...extra: Array<string>) => {
    const run = await runCli(["resolve", name, "--json", ...box.flags(config), ...extra])
    return { run, json: run.stdout === "" ? undefined : stdoutJson(run) }
  }
  const shimConfig = (json: any) => ({ shim: json.shim, options: json.options })

  /** What the stock runtime resolves to on this host; `systemdCgroup` depends on the host's cgroup setup. */
  const stockRuntime = async () => shimConfig((await resolve("runc")).json)

  it("StockRuntime", async () => {
    const { json, run } = await resolve("runc")
    expect(run.code).toBe(0)
    expect(json.runtime).toBe("runc")
    expect(json.shim).toBe(runcShim)
    expect(json.options.typeUrl).toBe(runcOptionsType)
    expect(json.options.value).toMatchObject({ binaryName: "runc", root: join(box.execRoot, "runtime-runc") })
  })

  const passThrough = ["io.containerd.my-shim.v42", "io.containerd.my-shim"] as const
  it.each([["ShimName", passThrough[0]], ["VersionlessShimName", passThrough[1]]])("%s", async (_, runtime) => {
    const { json, run } = await resolve(runtime)
    expect(run.code).toBe(0)
    expect(shimConfig(json)).toEqual({ shim: runtime, options: null })
  })

  it.each([
    ["IllformedShimName", "myshim"],
    ["PathToShim", "/path/to/runc"],
    ["PathToShimName", "/path/to/io.containerd.runc.v2"],
    ["RelPathToShim", "my/io.containerd.runc.v2"]
  ])("%s", async (_, runtime) => {
    const { json, run } = await resolve(runtime)
    // Go: errdefs.IsInvalidParameter, with an empty shim and nil options.
    expect(run.code).toBe(1)
    expect(json).toEqual({
      error: { _tag: "UnknownRuntime", message: `unknown or invalid runtime name: ${runtime}`, runtime }
    })
    expect(run.stderr).toContain(`error: unknown or invalid runtime name: ${runtime}`)
  })

  it("EmptyString", async () => {
    const { json, run } = await resolve("")
    expect(run.code).toBe(0)
    expect(json.runtime).toBe("runc")
    expect(shimConfig(json)).toEqual(await stockRuntime())
  })

  it("ConfiguredRuntime", async () => {
    const stock = await stockRuntime()
    const { json, run } = await resolve(configuredRtName)
    expect(run.code).toBe(0)
    expect(shimConfig(json)).toEqual({
      shim: stock.shim,
      options: { ...stock.options, value: { ...stock.options.value, binaryName: "/bin/true" } }
    })
  })

  it("ShimWithOpts", async () => {
    // dockerd 23–25 refused integer options (go-toml v1 decodes a JSON number as a float); the later
    // dockerd this test comes from, and this project, accept them.
    const { json, run } = await resolve("shimwithopts")
    expect(run.code).toBe(0)
    expect(shimConfig(json)).toEqual({ shim: runcShim, options: { typeUrl: runcOptionsType, value: { ioUid: 42 } } })
  })

  it("ShimAlias", async () => {
    const { json } = await resolve("wasmedge")
    expect(shimConfig(json)).toEqual({ shim: "io.containerd.wasmedge.v1", options: null })
  })

  it("ConfiguredShimByPath", async () => {
    const { json } = await resolve("shimwithpath")
    expect(shimConfig(json)).toEqual({ shim: "/path/to/my/shim", options: null })
  })

  it("ConfiguredShimWithRuntimeoptionsShimConfig", async () => {
    const { json } = await resolve("gvisor")
    expect(shimConfig(json)).toEqual({
      shim: "io.containerd.runsc.v1",
      options: {
        typeUrl: "runtimeoptions.v1.Options",
        value: { typeUrl: "io.containerd.runsc.v1.options", configPath: "/path/to/runsc.toml" }
      }
    })
  })

  it("RuntimeWithArgs", async () => {
    const { json, run } = await resolve("withargs", "--write-wrappers")
    expect(run.code).toBe(0)
    expect(json.shim).toBe(runcShim)
    expect(json.options.typeUrl).toBe(runcOptionsType)
    const wrapper = readFileSync(json.options.value.binaryName, "utf8")
    // dockerd writes `/bin/false --version $@`, unquoted; our scripts quote every word and
    // forward "$@", so arguments with spaces or shell characters arrive intact.
    expect(wrapper).toContain(`'/bin/false' '--version' "$@"`)
  })
})

describe.concurrent("TestGetRuntime_PreflightCheck", () => {
  const box = sandbox()
  const config = box.config({
    runtimes: {
      "path-only": { path: "/usr/local/bin/file-not-found" },
      "with-args": { path: "/usr/local/bin/file-not-found", runtimeArgs: ["--arg"] }
    }
  })

  it("runtime paths are not validated while setting up", async () => {
    const run = await runCli(["validate", ...box.flags(config)])
    expect(run.code).toBe(0)
  })

  it("PathOnly: custom runtimes without wrapper scripts have no pre-flight check", async () => {
    const run = await runCli(["resolve", "path-only", ...box.flags(config)])
    expect(run.code).toBe(0)
  })

  it("WithArgs", async () => {
    const run = await runCli(["resolve", "with-args", "--json", ...box.flags(config)])
    expect(run.code).toBe(1)
    // Go: errors.Is(err, fs.ErrNotExist).
    expect(run.stderr).toContain(
      `error: runtimes.with-args: error while looking up the specified runtime path: ` +
        `exec: "/usr/local/bin/file-not-found": stat /usr/local/bin/file-not-found: no such file or directory`
    )
    expect(stdoutJson(run).error._tag).toBe("RuntimePathLookupError")
  })
})

describe("TestRuntimeWrapping", () => {
  it("a reload neither deletes nor modifies existing wrapper scripts", async () => {
    const box = sandbox()
    const runtimes: Record<string, { path: string; runtimeArgs?: Array<string> }> = {
      "change-args": { path: "/bin/true", runtimeArgs: ["foo", "bar"] },
      dupe: { path: "/bin/true", runtimeArgs: ["foo", "bar"] },
      "change-path": { path: "/bin/true", runtimeArgs: ["baz"] },
      "drop-args": { path: "/bin/true", runtimeArgs: ["some", "arguments"] },
      "goes-away": { path: "/bin/true", runtimeArgs: ["bye"] }
    }
    const first = box.config({ runtimes }, "first.json")

    const wrappers = new Map<string, { binaryName: string; content: string }>()
    for (const name of Object.keys(runtimes)) {
      const run = await runCli(["resolve", name, "--json", "--write-wrappers", ...box.flags(first)])
      expect(run.code, `resolve ${name}`).toBe(0)
      const binaryName: string = stdoutJson(run).options.value.binaryName
      wrappers.set(name, { binaryName, content: readFileSync(binaryName, "utf8") })
    }

    const second = box.config({
      runtimes: {
        "change-args": { path: "/bin/true", runtimeArgs: ["baz", "quux"] },
        dupe: runtimes["dupe"],
        "change-path": { path: "/bin/false", runtimeArgs: ["baz"] },
        "drop-args": { path: "/bin/true" }
      }
    }, "second.json")
    const reload = await runCli(["info", "--write-wrappers", ...box.flags(second)])
    expect(reload.code).toBe(0)

    for (const [name, info] of wrappers) {
      expect(readFileSync(info.binaryName, "utf8"), name).toBe(info.content)
    }
  })

  it("the scripts of the new configuration are written next to the old ones", async () => {
    const box = sandbox()
    const write = (args: Array<string>) =>
      runCli(["resolve", "r", "--json", "--write-wrappers", ...box.flags(box.config({ runtimes: { r: { path: "/bin/true", runtimeArgs: args } } }))])
    const before = stdoutJson(await write(["a"])).options.value.binaryName
    const after = stdoutJson(await write(["b"])).options.value.binaryName
    expect(after).not.toBe(before)
    expect(existsSync(before) && existsSync(after)).toBe(true)
    rmSync(box.dir, { recursive: true, force: true })
  })
})
