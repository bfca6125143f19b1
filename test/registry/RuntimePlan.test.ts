import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import type { DaemonConfig } from "../../src/config/DaemonConfig.ts"
import { InvalidRuntimeConfig } from "../../src/config/Errors.ts"
import { Problem } from "../../src/config/Problem.ts"
import type { HostSnapshot } from "../../src/host/HostFacts.ts"
import { planRuntimes } from "../../src/registry/RuntimePlan.ts"
import { planWrapper } from "../../src/wrappers/WrapperScript.ts"
import {
  daemonConfig,
  plain,
  plainHost,
  planOf,
  problemsOf,
  runcShimOptions,
  runtimeIn,
  systemdHost,
  withRuntimes
} from "./support.ts"

/** The problems of an invalid configuration, as plain `{ path, message }`. */
const problems = (...args: Parameters<typeof problemsOf>) => plain(problemsOf(...args).problems)

describe("planRuntimes: validation of each runtime", () => {
  it("accepts an empty configuration", () => {
    expect(Result.isSuccess(planRuntimes(daemonConfig(), plainHost))).toBe(true)
  })

  it("lists runtimes in Go's byte order: a name above U+FFFF after one from U+E000", () => {
    const plan = planOf(withRuntimes({ "\u{1F600}": { path: "/usr/bin/crun" }, "\uE000": { path: "/usr/bin/crun" } }))
    expect(plan.runtimes.map((runtime) => runtime.name)).toEqual(["io.containerd.runc.v2", "runc", "\uE000", "\u{1F600}"])
  })

  it("reserves the name runc", () => {
    expect(problems(withRuntimes({ runc: { path: "/usr/local/bin/runc" } }))).toEqual([
      { path: "runtimes.runc", message: "runtime name 'runc' is reserved" }
    ])
  })

  it("reports only the reservation for a runc entry that is invalid as well", () => {
    expect(problems(withRuntimes({ runc: {} }))).toEqual([
      { path: "runtimes.runc", message: "runtime name 'runc' is reserved" }
    ])
  })

  it("refuses a runtime with neither path nor runtimeType", () => {
    expect(problems(withRuntimes({ kata: {} }))).toEqual([
      { path: "runtimes.kata", message: "runtime kata: either a runtimeType or a path must be configured" }
    ])
  })

  it("treats an empty path and an empty runtimeType as neither", () => {
    expect(problems(withRuntimes({ kata: { path: "", runtimeType: "" } }))).toEqual([
      { path: "runtimes.kata", message: "runtime kata: either a runtimeType or a path must be configured" }
    ])
  })

  it("refuses runtimeArgs alone as neither path nor runtimeType", () => {
    expect(problems(withRuntimes({ kata: { runtimeArgs: ["--debug"] } }))).toEqual([
      { path: "runtimes.kata", message: "runtime kata: either a runtimeType or a path must be configured" }
    ])
  })

  it("refuses options alone as neither path nor runtimeType", () => {
    expect(problems(withRuntimes({ kata: { options: { ConfigPath: "/etc/kata.toml" } } }))).toEqual([
      { path: "runtimes.kata", message: "runtime kata: either a runtimeType or a path must be configured" }
    ])
  })

  it("refuses both path and runtimeType", () => {
    expect(problems(withRuntimes({ gvisor: { path: "/usr/bin/runsc", runtimeType: "io.containerd.runsc.v1" } })))
      .toEqual([{
        path: "runtimes.gvisor",
        message: "runtime gvisor: cannot configure both path and runtimeType for the same runtime"
      }])
  })

  it("reports both path and runtimeType before the args and options that come with them", () => {
    const config = withRuntimes({
      gvisor: { path: "/usr/bin/runsc", runtimeType: "io.containerd.runsc.v1", runtimeArgs: ["x"], options: { a: 1 } }
    })
    expect(problems(config)).toEqual([{
      path: "runtimes.gvisor",
      message: "runtime gvisor: cannot configure both path and runtimeType for the same runtime"
    }])
  })

  it("refuses options on a path runtime, at the options", () => {
    expect(problems(withRuntimes({ crun: { path: "/usr/bin/crun", options: { SystemdCgroup: true } } }))).toEqual([
      { path: "runtimes.crun.options", message: "runtime crun: options cannot be used with a path runtime" }
    ])
  })

  it("refuses options on a path runtime that also has args", () => {
    const config = withRuntimes({ crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"], options: { hmm: 3 } } })
    expect(problems(config)).toEqual([
      { path: "runtimes.crun.options", message: "runtime crun: options cannot be used with a path runtime" }
    ])
  })

  it("accepts an empty options object on a path runtime, as dockerd checks for entries", () => {
    expect(runtimeIn(planOf(withRuntimes({ crun: { path: "/usr/bin/crun", options: {} } })), "crun").kind)
      .toBe("path")
  })

  it("refuses runtimeArgs on a runtimeType runtime, at the args", () => {
    const config = withRuntimes({ kata: { runtimeType: "io.containerd.kata.v2", runtimeArgs: ["--debug"] } })
    expect(problems(config)).toEqual([
      { path: "runtimes.kata.runtimeArgs", message: "runtime kata: args cannot be used with a runtimeType runtime" }
    ])
  })

  it("reports args on a runtimeType runtime without decoding its options", () => {
    const config = withRuntimes({
      shim: { runtimeType: "io.containerd.runc.v2", runtimeArgs: ["--help"], options: { SystemdCgroup: "yes" } }
    })
    expect(problems(config)).toEqual([
      { path: "runtimes.shim.runtimeArgs", message: "runtime shim: args cannot be used with a runtimeType runtime" }
    ])
  })

  it("accepts an empty runtimeArgs list on a runtimeType runtime", () => {
    const config = withRuntimes({ kata: { runtimeType: "io.containerd.kata.v2", runtimeArgs: [] } })
    expect(runtimeIn(planOf(config), "kata").kind).toBe("type")
  })

  it("refuses an option value that does not decode, naming the key", () => {
    const config = withRuntimes({ shim: { runtimeType: "io.containerd.runc.v2", options: { IoUid: "root" } } })
    expect(problems(config)).toEqual([{
      path: "runtimes.shim.options.IoUid",
      message: `runtime shim: option "IoUid": expected an integer, got "root"`
    }])
  })

  it("reports every option that does not decode, in key order", () => {
    const config = withRuntimes({
      shim: { runtimeType: "io.containerd.runc.v2", options: { SystemdCgroup: 1, IoUid: -1 } }
    })
    expect(problems(config)).toEqual([
      { path: "runtimes.shim.options.IoUid", message: `runtime shim: option "IoUid": -1 is out of range for uint32` },
      {
        path: "runtimes.shim.options.SystemdCgroup",
        message: `runtime shim: option "SystemdCgroup": expected a boolean, got 1`
      }
    ])
  })

  it("quotes a runtime name that is not a plain word in the problem's path", () => {
    expect(problems(withRuntimes({ "io.containerd.kata.v2": {} }))[0]?.path).toBe(`runtimes["io.containerd.kata.v2"]`)
  })
})

describe("planRuntimes: the default runtime", () => {
  it("is runc when none is named", () => {
    expect(planOf(daemonConfig()).defaultRuntime).toBe("runc")
  })

  it.each(["runc", "io.containerd.runc.v2"])("may be the stock runtime %s", (name) => {
    expect(planOf(daemonConfig({ defaultRuntime: name })).defaultRuntime).toBe(name)
  })

  it("may be a configured runtime, with any name", () => {
    const config = withRuntimes({ "my/custom.runtime.v1": { path: "/bin/true" } }, {
      defaultRuntime: "my/custom.runtime.v1"
    })
    expect(planOf(config).defaultRuntime).toBe("my/custom.runtime.v1")
  })

  it("may be an unconfigured name containerd accepts, which is not added to the runtimes", () => {
    const plan = planOf(daemonConfig({ defaultRuntime: "io.containerd.kata.v2" }))
    expect(plan.defaultRuntime).toBe("io.containerd.kata.v2")
    expect(plan.runtimes.map((runtime) => runtime.name)).toEqual(["io.containerd.runc.v2", "runc"])
  })

  it.each(["notdefined", "/usr/bin/runc", "/path/to/io.containerd.runc.v2", "my/io.containerd.runc.v2", ".runc.v2"])(
    "may not be %s, which is neither configured nor a containerd runtime name",
    (name) => {
      expect(problems(daemonConfig({ defaultRuntime: name }))).toEqual([
        { path: "default-runtime", message: `specified default runtime '${name}' does not exist` }
      ])
    }
  )

  it.each(["toString", "constructor", "__proto__"])(
    "is not found on Object.prototype: an unconfigured %s does not exist",
    (name) => {
      expect(problems(daemonConfig({ defaultRuntime: name }))).toEqual([
        { path: "default-runtime", message: `specified default runtime '${name}' does not exist` }
      ])
    }
  )

  it("naming a configured runtime that is invalid reports only the runtime", () => {
    expect(problems(withRuntimes({ broken: {} }, { defaultRuntime: "broken" }))).toEqual([
      { path: "runtimes.broken", message: "runtime broken: either a runtimeType or a path must be configured" }
    ])
  })
})

describe("planRuntimes: exec-opts", () => {
  it("refuses a cgroup driver dockerd does not support", () => {
    expect(problems(daemonConfig({ execOpts: ["native.cgroupdriver=cgroupfs2"] }))).toEqual([
      { path: "exec-opts[0]", message: "native.cgroupdriver option cgroupfs2 not supported" }
    ])
  })

  it("refuses the cgroup driver none, which dockerd keeps for itself", () => {
    expect(problems(daemonConfig({ execOpts: ["native.cgroupdriver=none"] }))).toEqual([
      { path: "exec-opts[0]", message: "native.cgroupdriver option none is internally used and cannot be specified manually" }
    ])
  })

  it("refuses an entry that is not key=value", () => {
    expect(problems(daemonConfig({ execOpts: ["native.cgroupdriver"] }))).toEqual([
      { path: "exec-opts[0]", message: "unable to parse key/value option: native.cgroupdriver" }
    ])
  })

  it("accepts an unknown option with a warning at its index", () => {
    const plan = planOf(daemonConfig({ execOpts: ["native.cgroupdriver=systemd", "isolation=hyperv"] }))
    expect(plain(plan.warnings)).toEqual([
      { path: "exec-opts[1]", message: "option 'isolation' is only supported on windows (ignored)" }
    ])
  })
})

describe("planRuntimes: every problem at once", () => {
  // Names are inserted out of order on purpose: the report is sorted, whatever the file's order.
  const config = daemonConfig({
    execOpts: ["native.cgroupdriver=foo", "bogus"],
    runtimes: {
      zeta: {},
      runc: { path: "/usr/local/bin/runc" },
      alpha: { runtimeType: "io.containerd.runc.v2", options: { SystemdCgroup: 3 } },
      "io.containerd.kata.v2": { runtimeType: "io.containerd.kata.v2", runtimeArgs: ["--debug"] },
      mid: { path: "/usr/bin/crun", runtimeType: "io.containerd.crun.v2" }
    },
    defaultRuntime: "nope"
  })
  const expected = [
    { path: "exec-opts[0]", message: "native.cgroupdriver option foo not supported" },
    { path: "exec-opts[1]", message: "unable to parse key/value option: bogus" },
    { path: "runtimes.runc", message: "runtime name 'runc' is reserved" },
    {
      path: "runtimes.alpha.options.SystemdCgroup",
      message: `runtime alpha: option "SystemdCgroup": expected a boolean, got 3`
    },
    {
      path: `runtimes["io.containerd.kata.v2"].runtimeArgs`,
      message: "runtime io.containerd.kata.v2: args cannot be used with a runtimeType runtime"
    },
    { path: "runtimes.mid", message: "runtime mid: cannot configure both path and runtimeType for the same runtime" },
    { path: "runtimes.zeta", message: "runtime zeta: either a runtimeType or a path must be configured" },
    { path: "default-runtime", message: "specified default runtime 'nope' does not exist" }
  ]

  it("are reported in one typed error: exec-opts, the reserved name, each runtime by name, the default", () => {
    const error = problemsOf(config)
    expect(error).toBeInstanceOf(InvalidRuntimeConfig)
    expect(plain(error.problems)).toEqual(expected)
  })

  it("do not depend on the order the runtimes were written in", () => {
    const reversed = daemonConfig({
      ...config,
      runtimes: Object.fromEntries(Object.entries(config.runtimes).reverse())
    })
    expect(plain(problemsOf(reversed).problems)).toEqual(expected)
  })

  it("make a message of one line per problem", () => {
    expect(problemsOf(config).message).toBe(expected.map(({ message }) => message).join("\n"))
  })

  it("make, when there is only one, exactly dockerd's message", () => {
    expect(problemsOf(daemonConfig({ defaultRuntime: "nope" })).message).toBe(
      "specified default runtime 'nope' does not exist"
    )
  })
})

describe("planRuntimes: problems found upstream", () => {
  const flagProblem = new Problem({ path: "--add-runtime x", message: "invalid runtime argument: x" })
  const upstream = (config: DaemonConfig) =>
    Result.getOrThrow(Result.flip(planRuntimes(config, plainHost, { upstreamProblems: [flagProblem] })))

  it("fail a configuration that is valid on its own", () => {
    expect(plain(upstream(daemonConfig()).problems)).toEqual([
      { path: "--add-runtime x", message: "invalid runtime argument: x" }
    ])
  })

  it("come first, before the configuration's own, in one error", () => {
    const config = daemonConfig({ dataRoot: "relative", runtimes: { a: {} } })
    expect(plain(upstream(config).problems).map(({ path }) => path)).toEqual(["--add-runtime x", "data-root", "runtimes.a"])
  })

  it("keep the warnings found on the way", () => {
    const config = daemonConfig({ execOpts: ["isolation=hyperv"] })
    expect(plain(upstream(config).warnings)).toEqual([
      { path: "exec-opts[0]", message: "option 'isolation' is only supported on windows (ignored)" }
    ])
  })
})

describe("planRuntimes: an invalid configuration", () => {
  it("carries an empty list of warnings when nothing was suspicious", () => {
    expect(problemsOf(daemonConfig({ defaultRuntime: "nope" })).warnings).toEqual([])
  })
})

describe("planRuntimes: stock runtimes", () => {
  it("lists runc and io.containerd.runc.v2, both running runc through the runc shim", () => {
    const plan = planOf(daemonConfig())
    for (const name of ["runc", "io.containerd.runc.v2"]) {
      expect(runtimeIn(plan, name)).toMatchObject({
        kind: "stock",
        shim: "io.containerd.runc.v2",
        options: runcShimOptions({ binaryName: "runc" }),
        config: { path: "runc" }
      })
    }
  })

  it.each<[string, HostSnapshot, ReadonlyArray<string>, { systemdCgroup: boolean; noPivotRoot: boolean }]>([
    ["a plain cgroup v1 host", plainHost, [], { systemdCgroup: false, noPivotRoot: false }],
    ["a ramdisk (DOCKER_RAMDISK set)", { ...plainHost, ramdisk: true }, [], { systemdCgroup: false, noPivotRoot: true }],
    ["a cgroup v2 host booted with systemd", systemdHost, [], { systemdCgroup: true, noPivotRoot: false }],
    ["a cgroup v2 host without systemd", { ...plainHost, cgroupV2: true }, [], {
      systemdCgroup: false,
      noPivotRoot: false
    }],
    ["a cgroup v1 host booted with systemd", { ...plainHost, systemdBooted: true }, [], {
      systemdCgroup: false,
      noPivotRoot: false
    }],
    ["explicit cgroupfs on a cgroup v2 systemd host", systemdHost, ["native.cgroupdriver=cgroupfs"], {
      systemdCgroup: false,
      noPivotRoot: false
    }],
    ["explicit systemd on a cgroup v1 host", plainHost, ["native.cgroupdriver=systemd"], {
      systemdCgroup: true,
      noPivotRoot: false
    }],
    ["a ramdisk on a cgroup v2 systemd host", { ...systemdHost, ramdisk: true }, [], {
      systemdCgroup: true,
      noPivotRoot: true
    }]
  ])("get the stock options on %s", (_, host, execOpts, expected) => {
    const plan = planOf(daemonConfig({ execOpts }), host)
    expect(runtimeIn(plan, "runc").options).toEqual(runcShimOptions({ binaryName: "runc", ...expected }))
    expect(plan.cgroupDriver).toBe(expected.systemdCgroup ? "systemd" : "cgroupfs")
  })

  it("keep their state below the exec root, joined cleanly", () => {
    const plan = planOf(daemonConfig({ execRoot: "/run//docker/./" }))
    expect(runtimeIn(plan, "runc").options?.value).toMatchObject({ root: "/run/docker/runtime-runc" })
  })

  it("are probed as runc, found on PATH", () => {
    expect(runtimeIn(planOf(daemonConfig()), "io.containerd.runc.v2").featuresArgv).toEqual(["runc"])
  })

  it("io.containerd.runc.v2 is replaced by a configured runtime of that name", () => {
    const config = withRuntimes({
      "io.containerd.runc.v2": { runtimeType: "io.containerd.runc.v2", options: { SystemdCgroup: true } }
    })
    expect(runtimeIn(planOf(config), "io.containerd.runc.v2")).toMatchObject({
      kind: "type",
      shim: "io.containerd.runc.v2",
      options: { _tag: "RuncOptions", value: { systemdCgroup: true } },
      featuresArgv: undefined
    })
  })

  it("replacing io.containerd.runc.v2 leaves runc as it is", () => {
    const config = withRuntimes({ "io.containerd.runc.v2": { path: "/opt/runc/bin/runc" } })
    const plan = planOf(config)
    expect(runtimeIn(plan, "io.containerd.runc.v2").options).toEqual(runcShimOptions({ binaryName: "/opt/runc/bin/runc" }))
    expect(runtimeIn(plan, "runc").options).toEqual(runcShimOptions({ binaryName: "runc" }))
  })

  it("runc cannot be replaced: configuring it fails rather than overriding it", () => {
    const result = planRuntimes(withRuntimes({ runc: { runtimeType: "io.containerd.runc.v2" } }), plainHost)
    expect(Result.isFailure(result)).toBe(true)
  })
})

describe("planRuntimes: path runtimes", () => {
  it("run the binary through the runc shim with the stock options", () => {
    const plan = planOf(withRuntimes({ crun: { path: "/usr/bin/crun" } }), systemdHost)
    expect(runtimeIn(plan, "crun")).toMatchObject({
      kind: "path",
      shim: "io.containerd.runc.v2",
      options: runcShimOptions({ binaryName: "/usr/bin/crun", systemdCgroup: true }),
      wrapper: undefined
    })
  })

  it("without args are probed as the binary alone", () => {
    expect(runtimeIn(planOf(withRuntimes({ crun: { path: "crun" } })), "crun").featuresArgv).toEqual(["crun"])
  })

  it("with args get a wrapper script in <data-root>/runtimes that the shim runs instead", () => {
    const config = withRuntimes({ crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug", "--log=/tmp/a b"] } }, {
      dataRoot: "/data/docker"
    })
    const runtime = runtimeIn(planOf(config), "crun")
    const wrapper = planWrapper("/data/docker/runtimes", "crun", "/usr/bin/crun", ["--debug", "--log=/tmp/a b"])
    expect(runtime.wrapper).toEqual(wrapper)
    expect(runtime.wrapper?.path).toMatch(/^\/data\/docker\/runtimes\/crun\.[0-9B-DF-HJ-NP-TV-Z-]+$/)
    expect(runtime.options).toEqual(runcShimOptions({ binaryName: wrapper.path }))
  })

  it("with args are probed as the binary followed by the args", () => {
    const config = withRuntimes({ crun: { path: "/usr/bin/crun", runtimeArgs: ["--debug"] } })
    expect(runtimeIn(planOf(config), "crun").featuresArgv).toEqual(["/usr/bin/crun", "--debug"])
  })

  it("with different args get different scripts, so old ones stay valid", () => {
    const first = runtimeIn(planOf(withRuntimes({ crun: { path: "/usr/bin/crun", runtimeArgs: ["a"] } })), "crun")
    const second = runtimeIn(planOf(withRuntimes({ crun: { path: "/usr/bin/crun", runtimeArgs: ["b"] } })), "crun")
    expect(first.wrapper?.path).not.toBe(second.wrapper?.path)
  })

  it("keep the scripts directory below the data root, joined cleanly", () => {
    expect(planOf(daemonConfig({ dataRoot: "/data//docker/" })).scriptsDirectory).toBe("/data/docker/runtimes")
  })
})

describe("planRuntimes: runtimeType runtimes", () => {
  it("start the shim named, verbatim, with no options value when none are given", () => {
    const plan = planOf(withRuntimes({ shim: { runtimeType: "/path/to/my/shim" } }))
    expect(runtimeIn(plan, "shim")).toMatchObject({ kind: "type", shim: "/path/to/my/shim", options: undefined })
  })

  it("send no options value for an empty options object", () => {
    const plan = planOf(withRuntimes({ kata: { runtimeType: "io.containerd.kata.v2", options: {} } }))
    expect(runtimeIn(plan, "kata").options).toBeUndefined()
  })

  it("get the runc shim's options when the shim is runc's", () => {
    const plan = planOf(withRuntimes({ shim: { runtimeType: "io.containerd.runc.v2", options: { SystemdCgroup: true } } }))
    expect(runtimeIn(plan, "shim").options).toEqual({
      _tag: "RuncOptions",
      typeUrl: "containerd.runc.v1.Options",
      value: { systemdCgroup: true }
    })
  })

  it("get containerd's generic options for any other shim", () => {
    const config = withRuntimes({
      gvisor: { runtimeType: "io.containerd.runsc.v1", options: { TypeUrl: "io.containerd.runsc.v1.options", ConfigPath: "/etc/runsc.toml" } }
    })
    expect(runtimeIn(planOf(config), "gvisor").options).toEqual({
      _tag: "RuntimeOptions",
      typeUrl: "runtimeoptions.v1.Options",
      value: { typeUrl: "io.containerd.runsc.v1.options", configPath: "/etc/runsc.toml" }
    })
  })

  it("decode an integral number into an integer option", () => {
    const plan = planOf(withRuntimes({ shim: { runtimeType: "io.containerd.runc.v2", options: { IoUid: 42 } } }))
    expect(runtimeIn(plan, "shim").options?.value).toEqual({ ioUid: 42 })
  })

  it("pass option keys no field takes on as warnings", () => {
    const plan = planOf(withRuntimes({ shim: { runtimeType: "io.containerd.runc.v2", options: { systemd_cgroup: true } } }))
    expect(plain(plan.warnings)).toEqual([{
      path: "runtimes.shim.options.systemd_cgroup",
      message: `runtime shim: option "systemd_cgroup" is not a field of containerd.runc.v1.Options and is ignored; did you mean "SystemdCgroup"?`
    }])
  })

  it("are not probed for features", () => {
    expect(runtimeIn(planOf(withRuntimes({ kata: { runtimeType: "io.containerd.kata.v2" } })), "kata").featuresArgv)
      .toBeUndefined()
  })
})

describe("planRuntimes: the table", () => {
  const config = withRuntimes({
    zeta: { runtimeType: "io.containerd.kata.v2" },
    "crun-debug": { path: "/usr/bin/crun", runtimeArgs: ["--debug"] },
    crun: { path: "/usr/bin/crun" }
  })

  it("lists every runtime, stock ones included, sorted by name", () => {
    expect(planOf(config).runtimes.map((runtime) => runtime.name)).toEqual([
      "crun",
      "crun-debug",
      "io.containerd.runc.v2",
      "runc",
      "zeta"
    ])
  })

  it("asks for a pre-flight lookup only for runtimes behind a wrapper script", () => {
    expect(Object.fromEntries(planOf(config).runtimes.map((runtime) => [runtime.name, runtime.preflightPath])))
      .toEqual({
        crun: undefined,
        "crun-debug": "/usr/bin/crun",
        "io.containerd.runc.v2": undefined,
        runc: undefined,
        zeta: undefined
      })
  })

  it("keeps each runtime's configuration as written, for listings", () => {
    expect(runtimeIn(planOf(config), "crun-debug").config).toEqual({ path: "/usr/bin/crun", runtimeArgs: ["--debug"] })
  })

  it("is the same for the same configuration and host", () => {
    expect(planOf(config, systemdHost)).toEqual(planOf(config, systemdHost))
  })

  it("handles runtime names that Object.prototype also has", () => {
    const plan = planOf(withRuntimes(JSON.parse(`{"__proto__": {"path": "/bin/true"}, "constructor": {"runtimeType": "io.x.v1"}}`)))
    expect(runtimeIn(plan, "__proto__").options).toEqual(runcShimOptions({ binaryName: "/bin/true" }))
    expect(runtimeIn(plan, "constructor").shim).toBe("io.x.v1")
  })
})

describe("planRuntimes: roots and command-line words", () => {
  it("refuses a relative data-root, which would put scripts wherever the daemon runs", () => {
    expect(problems(daemonConfig({ dataRoot: "var/lib/docker" }))).toEqual([
      { path: "data-root", message: "data-root must be an absolute path: \"var/lib/docker\"" }
    ])
  })

  it("refuses an empty exec-root, which would hand the shim a relative runc root", () => {
    expect(problems(daemonConfig({ execRoot: "" }))).toEqual([
      { path: "exec-root", message: "exec-root must be an absolute path: \"\"" }
    ])
  })

  it("refuses a path holding a NUL, which no command line can carry", () => {
    expect(problems(withRuntimes({ nul: { path: "/usr/bin/r\u0000unc" } }))).toEqual([
      { path: "runtimes.nul.path", message: "runtime nul: path cannot contain a NUL character" }
    ])
  })

  it("refuses a runtimeArg or path holding a lone surrogate, which has no UTF-8 form", () => {
    expect(problems(withRuntimes({ odd: { path: "/usr/bin/\ud800runc", runtimeArgs: ["ok", "a\udc00", "\ud83d\ude00"] } })))
      .toEqual([
        { path: "runtimes.odd.path", message: "runtime odd: path cannot contain a lone surrogate (not valid Unicode)" },
        {
          path: "runtimes.odd.runtimeArgs[1]",
          message: "runtime odd: runtimeArgs cannot contain a lone surrogate (not valid Unicode)"
        }
      ])
  })

  it("refuses a bare name starting with a dash for a runtime with runtimeArgs, which no wrapper script can exec", () => {
    expect(problems(withRuntimes({ dash: { path: "-runc", runtimeArgs: ["--debug"] } }))).toEqual([
      {
        path: "runtimes.dash.path",
        message: "runtime dash: a runtime with runtimeArgs runs through a wrapper script, whose exec would read \"-runc\" " +
          "as an option (no sh takes exec --): give the binary's full path"
      }
    ])
  })

  it("accepts a bare name starting with a dash without runtimeArgs: the shim runs it directly", () => {
    expect(runtimeIn(planOf(withRuntimes({ dash: { path: "-runc" } })), "dash").wrapper).toBeUndefined()
  })

  it("refuses each runtimeArg holding a NUL, naming its index", () => {
    expect(problems(withRuntimes({ nul: { path: "/usr/bin/runc", runtimeArgs: ["ok", "a\u0000b", "\u0000"] } })))
      .toEqual([
        { path: "runtimes.nul.runtimeArgs[1]", message: "runtime nul: runtimeArgs cannot contain a NUL character" },
        { path: "runtimes.nul.runtimeArgs[2]", message: "runtime nul: runtimeArgs cannot contain a NUL character" }
      ])
  })
})

describe("planRuntimes: size", () => {
  it("collects two hundred thousand warnings from one runtime without overflowing the stack", () => {
    const options = Object.fromEntries(Array.from({ length: 200_000 }, (_, index) => [`k${index}`, 1]))
    const plan = planOf(withRuntimes({ kata: { runtimeType: "io.containerd.kata.v2", options } }))
    expect(plan.warnings).toHaveLength(200_000)
  })

  it("collects two hundred thousand problems from one runtime without overflowing the stack", () => {
    const annotations = Object.fromEntries(Array.from({ length: 200_000 }, (_, index) => [`a${index}`, index]))
    const error = problemsOf(
      withRuntimes({ win: { runtimeType: "io.containerd.runhcs.v1", options: { DefaultContainerAnnotations: annotations } } })
    )
    expect(error.problems).toHaveLength(200_000)
  })
})
