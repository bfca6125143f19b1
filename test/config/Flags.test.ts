import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { type DaemonConfig, type DaemonJsonKey, emptyDaemonConfig, parseDaemonJson } from "../../src/config/DaemonConfig.ts"
import { applyFlags, type DaemonFlags } from "../../src/config/Flags.ts"

const noFlags: DaemonFlags = { addRuntimes: [], execOpts: [] }
const noKeys: ReadonlySet<DaemonJsonKey> = new Set()

const apply = (flags: Partial<DaemonFlags>, file: DaemonConfig = emptyDaemonConfig, fileKeys = noKeys) =>
  applyFlags(file, fileKeys, { ...noFlags, ...flags })

/** The configuration, for flags that must have no problems. */
const applied = (flags: Partial<DaemonFlags>, file: DaemonConfig = emptyDaemonConfig, fileKeys = noKeys) => {
  const { config, problems } = apply(flags, file, fileKeys)
  expect(problems).toEqual([])
  return config
}

const problemsOf = (flags: Partial<DaemonFlags>, file: DaemonConfig = emptyDaemonConfig, fileKeys = noKeys) =>
  apply(flags, file, fileKeys).problems.map(({ message, path }) => ({ path, message }))

/** A daemon.json, parsed, as `applyFlags` receives it. */
const fromFile = (json: object): [DaemonConfig, ReadonlySet<DaemonJsonKey>] => {
  const { config, setKeys } = Result.getOrThrow(parseDaemonJson(JSON.stringify(json), "daemon.json"))
  return [config, setKeys]
}

describe("applyFlags without conflicts", () => {
  it("no flags leave the file's configuration as it is", () => {
    const [file, keys] = fromFile({ "default-runtime": "crun", "exec-opts": ["a=b"], runtimes: { crun: { path: "c" } } })
    expect(applied({}, file, keys)).toEqual(file)
  })

  it("flags set what the file does not", () => {
    expect(applied({
      defaultRuntime: "crun",
      execOpts: ["native.cgroupdriver=systemd"],
      dataRoot: "/srv/docker",
      execRoot: "/run/docker"
    })).toEqual({
      runtimes: {},
      defaultRuntime: "crun",
      execOpts: ["native.cgroupdriver=systemd"],
      dataRoot: "/srv/docker",
      execRoot: "/run/docker"
    })
  })
})

describe("--add-runtime", () => {
  it("defines a runtime by path", () => {
    expect(applied({ addRuntimes: ["crun=/usr/bin/crun"] }).runtimes).toEqual({ crun: { path: "/usr/bin/crun" } })
  })

  it("splits at the first '=', so the path may contain '='", () => {
    expect(applied({ addRuntimes: ["odd=/opt/a=b"] }).runtimes).toEqual({ odd: { path: "/opt/a=b" } })
  })

  it("trims the name and the path, and lowercases the name", () => {
    expect(applied({ addRuntimes: ["  CRun = /usr/bin/crun  "] }).runtimes).toEqual({
      crun: { path: "/usr/bin/crun" }
    })
  })

  it("without '=' is an invalid runtime argument", () => {
    expect(problemsOf({ addRuntimes: ["crun"] })).toEqual([
      { path: "--add-runtime crun", message: "invalid runtime argument: crun" }
    ])
  })

  it("with an empty name is an invalid runtime argument", () => {
    expect(problemsOf({ addRuntimes: [" =/usr/bin/crun"] })).toEqual([
      { path: "--add-runtime  =/usr/bin/crun", message: "invalid runtime argument:  =/usr/bin/crun" }
    ])
  })

  it("with an empty path is an invalid runtime argument", () => {
    expect(problemsOf({ addRuntimes: ["crun= "] })).toEqual([
      { path: "--add-runtime crun= ", message: "invalid runtime argument: crun= " }
    ])
  })

  it("may not redefine runc, in any case", () => {
    expect(problemsOf({ addRuntimes: ["RunC=/opt/runc"] })).toEqual([
      { path: "--add-runtime RunC=/opt/runc", message: "runtime name 'runc' is reserved" }
    ])
  })

  it("may not define a name twice, even in another case", () => {
    expect(problemsOf({ addRuntimes: ["crun=/a", "CRUN=/b"] })).toEqual([
      { path: "--add-runtime CRUN=/b", message: "runtime 'crun' was already defined" }
    ])
  })

  it("reports every bad value at once, in order", () => {
    expect(problemsOf({ addRuntimes: ["x", "runc=/r", "a=/1", "a=/2", "=/p"] })).toEqual([
      { path: "--add-runtime x", message: "invalid runtime argument: x" },
      { path: "--add-runtime runc=/r", message: "runtime name 'runc' is reserved" },
      { path: "--add-runtime a=/2", message: "runtime 'a' was already defined" },
      { path: "--add-runtime =/p", message: "invalid runtime argument: =/p" }
    ])
  })

  it("adds to the file's runtimes, as dockerd merges them", () => {
    const [file, keys] = fromFile({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } })
    expect(applied({ addRuntimes: ["crun=/usr/bin/crun"] }, file, keys)).toEqual({
      ...file,
      runtimes: { crun: { path: "/usr/bin/crun" }, kata: { runtimeType: "io.containerd.kata.v2" } }
    })
  })

  it("a name the file defines too is a setting given both ways, unlike dockerd which ignores the flag", () => {
    const [file, keys] = fromFile({ runtimes: { crun: { path: "/opt/crun" } } })
    expect(problemsOf({ addRuntimes: ["crun=/usr/bin/crun"] }, file, keys)).toEqual([
      {
        path: "--add-runtime",
        message: "the following directives are specified both as a flag and in the configuration file: " +
          'runtimes.crun: (from flag: /usr/bin/crun, from file: {"path":"/opt/crun"})'
      }
    ])
  })

  it("a name that is not a plain word cannot reach the prototype of the runtimes", () => {
    const runtimes = applied({ addRuntimes: ["__proto__=/usr/bin/crun"] }).runtimes
    expect(Object.getPrototypeOf(runtimes)).toBe(Object.prototype)
    expect(Object.hasOwn(runtimes, "__proto__")).toBe(true)
  })
})

describe("settings given both as a flag and in the file", () => {
  it("a string setting is reported with both values", () => {
    const [file, keys] = fromFile({ "data-root": "/b" })
    expect(problemsOf({ dataRoot: "/a" }, file, keys)).toEqual([
      {
        path: "--data-root",
        message:
          "the following directives are specified both as a flag and in the configuration file: data-root: (from flag: /a, from file: /b)"
      }
    ])
  })

  it("exec-opts are printed as Go prints a list", () => {
    const [file, keys] = fromFile({ "exec-opts": ["c=d"] })
    expect(problemsOf({ execOpts: ["a=b", "x=y"] }, file, keys)).toEqual([
      {
        path: "--exec-opt",
        message:
          "the following directives are specified both as a flag and in the configuration file: exec-opts: (from flag: [a=b x=y], from file: [c=d])"
      }
    ])
  })

  it("a key the file sets to its default still conflicts", () => {
    const [file, keys] = fromFile({ "exec-root": "/var/run/docker" })
    expect(problemsOf({ execRoot: "/run/docker" }, file, keys)).toHaveLength(1)
  })

  it("every conflict is listed in one problem, in key order", () => {
    const [file, keys] = fromFile({ "exec-root": "/e", "default-runtime": "runc", "data-root": "/d" })
    expect(problemsOf({ execRoot: "/E", defaultRuntime: "crun", dataRoot: "/D" }, file, keys)).toEqual([
      {
        path: "--data-root, --default-runtime, --exec-root",
        message: "the following directives are specified both as a flag and in the configuration file: " +
          "data-root: (from flag: /D, from file: /d), default-runtime: (from flag: crun, from file: runc), " +
          "exec-root: (from flag: /E, from file: /e)"
      }
    ])
  })

  it("bad --add-runtime values and conflicts are reported together", () => {
    const [file, keys] = fromFile({ "default-runtime": "runc" })
    expect(problemsOf({ addRuntimes: ["x"], defaultRuntime: "crun" }, file, keys).map(({ path }) => path)).toEqual([
      "--add-runtime x",
      "--default-runtime"
    ])
  })
})

describe("flags with problems", () => {
  it("still apply every well-formed flag, so that the rest of the configuration can be checked", () => {
    const [file, keys] = fromFile({ "data-root": "/d", runtimes: { kata: { runtimeType: "io.containerd.kata.v2" } } })
    const { config, problems } = apply({
      addRuntimes: ["bad", "crun=/usr/bin/crun"],
      dataRoot: "/D",
      execRoot: "/run/docker"
    }, file, keys)
    expect(problems.map(({ path }) => path)).toEqual(["--add-runtime bad", "--data-root"])
    expect(config).toEqual({
      ...file,
      dataRoot: "/D",
      execRoot: "/run/docker",
      runtimes: { crun: { path: "/usr/bin/crun" }, kata: { runtimeType: "io.containerd.kata.v2" } }
    })
  })
})
