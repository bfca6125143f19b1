/**
 * The `oci-runtimes` executable end to end: exit codes, what goes to stdout
 * and stderr, and what is (not) written, with the host's real runc.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import { bin, executable, lines, modeOf, node, repoRoot, runCli, sandbox, stdoutJson } from "./harness.ts"

const featuresKey = "org.opencontainers.runtime-spec.features"
const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m)

describe.concurrent("command line", () => {
  it("--help prints usage on stdout and exits 0", async () => {
    const run = await runCli(["--help"])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("USAGE")
    for (const command of ["validate", "resolve", "info"]) expect(run.stdout).toContain(command)
    for (const flag of ["--config", "--add-runtime", "--default-runtime", "--exec-opt", "--data-root", "--exec-root"]) {
      expect(run.stdout).toContain(flag)
    }
    expect(run.stderr).toBe("")
  })

  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"))
    const run = await runCli(["--version"])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`oci-runtimes ${version}\n`)
  })

  it("-v, and --version after a command (answered by effect/cli, not the entry's shortcut), print the same line", async () => {
    const runs = await Promise.all([["--version"], ["-v"], ["validate", "--version"]].map((args) => runCli(args)))
    for (const run of runs) {
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
    }
    expect(new Set(runs.map((run) => run.stdout)).size).toBe(1)
  })

  it("no command: usage on stderr, nothing on stdout, exit 2", async () => {
    const run = await runCli([])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain("USAGE")
  })

  it("an unknown command is a usage error", async () => {
    const run = await runCli(["frobnicate", "--json"])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe("")
    expect(lines(run.stderr)).toEqual([
      `error: Unknown subcommand "frobnicate" for "oci-runtimes"`,
      "Run 'oci-runtimes --help' for usage."
    ])
  })

  it("a misspelt command gets a suggestion, on lines of its own", async () => {
    const run = await runCli(["inf"])
    expect(run.code).toBe(2)
    expect(lines(run.stderr)).toEqual([
      `error: Unknown subcommand "inf" for "oci-runtimes"`,
      "",
      "  Did you mean this?",
      "    info",
      "Run 'oci-runtimes --help' for usage."
    ])
  })

  it("an unknown flag is a usage error, --json or not", async () => {
    const run = await runCli(["info", "--json", "--frob"])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain("error: Unrecognized flag: --frob")
    expect(run.stderr).toContain("Run 'oci-runtimes info --help' for usage.")
  })

  it.each(["5x", "0", "-2s", "10", "soon", ""])("--probe-timeout %j is a usage error", async (value) => {
    const run = await runCli(["validate", "--probe-timeout", value])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain("--probe-timeout")
    noStackTrace(run.stderr)
  })

  it("a surplus argument is a usage error", async () => {
    const run = await runCli(["resolve", "a", "b"])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`Unexpected positional argument: "b"`)
  })

  it("shared flags may come before the command", async () => {
    const box = sandbox()
    const run = await runCli([...box.flags(box.config({})), "--json", "validate"])
    expect(run.code).toBe(0)
    expect(stdoutJson(run).valid).toBe(true)
  })

  it("a probe that takes longer than --probe-timeout is a warning", async () => {
    const box = sandbox()
    const slow = executable(join(box.dir, "bin/slow"), "#!/bin/sh\nsleep 5\n")
    const run = await runCli(["validate", "--probe-timeout", "300ms", ...box.flags(box.config({ runtimes: { slow: { path: slow } } }))])
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(`warning: runtimes.slow: Failed to run [${slow} features]: timed out after 300ms`)
  })
})

describe.concurrent("validate", () => {
  it("accepts a valid configuration: a summary on stdout, exit 0, nothing written", async () => {
    const box = sandbox()
    const config = box.config({ runtimes: { crun: { path: "/usr/sbin/runc", runtimeArgs: ["--debug"] } } })
    const before = box.listing()
    const run = await runCli(["validate", ...box.flags(config)])
    expect(run.code).toBe(0)
    expect(lines(run.stdout)).toEqual([
      `valid:           ${config}`,
      "default runtime: runc",
      "runtimes:        crun, io.containerd.runc.v2, runc"
    ])
    expect(run.stderr).toBe("")
    expect(box.listing()).toEqual(before)
  })

  it("--json: the verdict, the runtimes and the warnings", async () => {
    const box = sandbox()
    const config = box.config({ "exec-opts": ["isolation=hyperv"] })
    const run = await runCli(["validate", "--json", ...box.flags(config)])
    expect(run.code).toBe(0)
    expect(stdoutJson(run)).toEqual({
      valid: true,
      file: config,
      defaultRuntime: "runc",
      cgroupDriver: expect.stringMatching(/^(cgroupfs|systemd)$/),
      runtimes: ["io.containerd.runc.v2", "runc"],
      warnings: [{ path: "exec-opts[0]", message: "option 'isolation' is only supported on windows (ignored)" }]
    })
    expect(lines(run.stderr)).toEqual(["warning: exec-opts[0]: option 'isolation' is only supported on windows (ignored)"])
  })

  it("writes nothing even with --write-wrappers, and says the flag was ignored", async () => {
    const box = sandbox()
    const config = box.config({ runtimes: { wrapped: { path: "/usr/sbin/runc", runtimeArgs: ["--debug"] } } })
    const before = box.listing()
    const run = await runCli(["validate", "--write-wrappers", ...box.flags(config)])
    expect(run.code).toBe(0)
    expect(run.stderr).toContain("warning: --write-wrappers: ignored: validate never writes anything")
    expect(existsSync(box.dataRoot)).toBe(false)
    expect(box.listing()).toEqual(before)
  })

  it("prints every problem, one per line, and exits 1", async () => {
    const box = sandbox()
    const config = box.config({
      "default-runtime": "nope",
      "exec-opts": ["native.cgroupdriver=bogus"],
      runtimes: { a: {}, b: { path: "/bin/true", runtimeType: "io.containerd.kata.v2" }, runc: { path: "/x" } }
    })
    const run = await runCli(["validate", ...box.flags(config)])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe("")
    expect(lines(run.stderr)).toEqual([
      "error: exec-opts[0]: native.cgroupdriver option bogus not supported",
      "error: runtimes.runc: runtime name 'runc' is reserved",
      "error: runtimes.a: runtime a: either a runtimeType or a path must be configured",
      "error: runtimes.b: runtime b: cannot configure both path and runtimeType for the same runtime",
      "error: default-runtime: specified default runtime 'nope' does not exist"
    ])
  })

  it("--json: the problems as a document on stdout too", async () => {
    const box = sandbox()
    const config = box.config({ runtimes: { a: {}, b: { runtimeType: "io.containerd.kata.v2", runtimeArgs: ["x"] } } })
    const run = await runCli(["validate", "--json", ...box.flags(config)])
    expect(run.code).toBe(1)
    expect(stdoutJson(run)).toEqual({
      error: {
        _tag: "InvalidRuntimeConfig",
        message: "runtime a: either a runtimeType or a path must be configured\n" +
          "runtime b: args cannot be used with a runtimeType runtime",
        problems: [
          { path: "runtimes.a", message: "runtime a: either a runtimeType or a path must be configured" },
          { path: "runtimes.b.runtimeArgs", message: "runtime b: args cannot be used with a runtimeType runtime" }
        ],
        warnings: []
      }
    })
    expect(lines(run.stderr)).toHaveLength(2)
  })

  it("a missing configuration file asked for is an error", async () => {
    const box = sandbox()
    const missing = join(box.dir, "missing.json")
    const run = await runCli(["validate", "--json", "--config", missing])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toEqual([`error: unable to read configuration file ${missing}: no such file or directory`])
    expect(stdoutJson(run)).toEqual({
      error: {
        _tag: "ConfigFileError",
        message: `unable to read configuration file ${missing}: no such file or directory`,
        file: missing,
        reason: "no such file or directory"
      }
    })
  })

  it("invalid JSON: where it broke", async () => {
    const box = sandbox()
    const config = box.config(`{\n  "runtimes": {,\n}`)
    const run = await runCli(["validate", "--json", "--config", config])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(new RegExp(`^error: ${config}:2:\\d+: `))
    expect(stdoutJson(run).error._tag).toBe("ConfigSyntaxError")
    noStackTrace(run.stderr)
  })

  it("values of the wrong type: each one, with the file and its place", async () => {
    const box = sandbox()
    const config = box.config({ "default-runtime": 1, runtimes: { a: { path: ["x"] } } })
    const run = await runCli(["validate", "--json", "--config", config])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toEqual([
      `error: ${config}: default-runtime: expected a string, got 1`,
      `error: ${config}: runtimes.a.path: expected a string, got an array`
    ])
    expect(stdoutJson(run).error).toMatchObject({
      _tag: "ConfigSchemaError",
      problems: [
        { path: "default-runtime", message: "expected a string, got 1" },
        { path: "runtimes.a.path", message: "expected a string, got an array" }
      ]
    })
  })

  it("a setting given both as a flag and in the file is an error, worded as dockerd's", async () => {
    const box = sandbox()
    const config = box.config({ "default-runtime": "runc" })
    const run = await runCli(["validate", "--json", "--config", config, "--default-runtime", "io.containerd.runc.v2"])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toEqual([
      "error: --default-runtime: the following directives are specified both as a flag and in the configuration file: " +
      "default-runtime: (from flag: io.containerd.runc.v2, from file: runc)"
    ])
    expect(stdoutJson(run).error._tag).toBe("InvalidRuntimeConfig")
  })

  it("warnings are shown alongside the problems of an invalid configuration", async () => {
    const box = sandbox()
    const config = box.config({
      runtimes: { broken: {}, kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPth: "/etc/kata.toml" } } }
    })
    const run = await runCli(["validate", "--json", ...box.flags(config)])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toEqual([
      'warning: runtimes.kata.options.ConfigPth: runtime kata: option "ConfigPth" is not a field of ' +
      'runtimeoptions.v1.Options and is ignored; did you mean "ConfigPath"?',
      "error: runtimes.broken: runtime broken: either a runtimeType or a path must be configured"
    ])
    expect(stdoutJson(run).error.warnings).toEqual([
      {
        path: "runtimes.kata.options.ConfigPth",
        message: 'runtime kata: option "ConfigPth" is not a field of runtimeoptions.v1.Options and is ignored; ' +
          'did you mean "ConfigPath"?'
      }
    ])
  })

  it("flag problems and the configuration's own problems are reported together", async () => {
    const box = sandbox()
    const config = box.config({ runtimes: { broken: {} } })
    const run = await runCli([
      "validate",
      "--config",
      config,
      "--add-runtime",
      "noeq",
      "--exec-opt",
      "native.cgroupdriver=bogus",
      "--default-runtime",
      "nope"
    ])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toEqual([
      "error: --add-runtime noeq: invalid runtime argument: noeq",
      "error: exec-opts[0]: native.cgroupdriver option bogus not supported",
      "error: runtimes.broken: runtime broken: either a runtimeType or a path must be configured",
      "error: default-runtime: specified default runtime 'nope' does not exist"
    ])
  })

  it("bad --add-runtime values are all reported", async () => {
    const box = sandbox()
    const run = await runCli(["validate", ...box.flags(box.config({})), "--add-runtime", "nopath", "--add-runtime", "runc=/x"])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toEqual([
      "error: --add-runtime nopath: invalid runtime argument: nopath",
      "error: --add-runtime runc=/x: runtime name 'runc' is reserved"
    ])
  })

  it("warns about a runtime binary that cannot be found, and about its failed probe", async () => {
    const box = sandbox()
    const missing = join(box.dir, "no-such-runtime")
    const run = await runCli(["validate", ...box.flags(box.config({ runtimes: { gone: { path: missing } } }))])
    expect(run.code).toBe(0)
    expect(lines(run.stderr)).toEqual([
      `warning: runtimes.gone: Failed to run [${missing} features]: fork/exec ${missing}: no such file or directory`,
      `warning: runtimes.gone.path: containers using this runtime would fail to start: ` +
      `exec: "${missing}": stat ${missing}: no such file or directory`
    ])
  })
})

describe.concurrent("resolve", () => {
  it("the default runtime, with runc's features, when no name is given", async () => {
    const box = sandbox()
    const run = await runCli(["resolve", "--json", ...box.flags(box.config({}))])
    expect(run.code).toBe(0)
    const json = stdoutJson(run)
    expect(Object.keys(json)).toEqual(["runtime", "shim", "options", "features", "warnings"])
    expect(json).toMatchObject({
      runtime: "runc",
      shim: "io.containerd.runc.v2",
      options: {
        typeUrl: "containerd.runc.v1.Options",
        value: { binaryName: "runc", root: join(box.execRoot, "runtime-runc") }
      },
      warnings: []
    })
    // Fields at their default are left out, as proto3 JSON does.
    expect(json.options.value).not.toHaveProperty("noPivotRoot")
    expect(json.features.ociVersionMin).toMatch(/^1\./)
    expect(json.features.linux.namespaces).toContain("pid")
  })

  it("an unknown name: exit 1, the error on stderr and, with --json, on stdout", async () => {
    const box = sandbox()
    const run = await runCli(["resolve", "foo", "--json", ...box.flags(box.config({}))])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toEqual(["error: unknown or invalid runtime name: foo"])
    expect(stdoutJson(run)).toEqual({
      error: { _tag: "UnknownRuntime", message: "unknown or invalid runtime name: foo", runtime: "foo" }
    })
  })

  it("a containerd runtime name passes through", async () => {
    const box = sandbox()
    const run = await runCli(["resolve", "io.containerd.kata.v2", "--json", ...box.flags(box.config({}))])
    expect(run.code).toBe(0)
    expect(stdoutJson(run)).toEqual({
      runtime: "io.containerd.kata.v2",
      shim: "io.containerd.kata.v2",
      options: null,
      features: null,
      warnings: []
    })
  })

  it("readable lines without --json", async () => {
    const box = sandbox()
    const config = box.config({
      runtimes: { kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata.toml" } } }
    })
    const run = await runCli(["resolve", "kata", ...box.flags(config)])
    expect(run.code).toBe(0)
    expect(lines(run.stdout)).toEqual([
      "runtime:  kata",
      "shim:     io.containerd.kata.v2",
      "options:  runtimeoptions.v1.Options",
      "  configPath: /etc/kata.toml",
      "features: unknown"
    ])
  })

  it("probes only the runtime asked for, so another runtime's failing probe is neither waited for nor reported", async () => {
    const box = sandbox()
    const stuck = executable(join(box.dir, "stuck-runtime"), "#!/bin/sh\nexec sleep 30\n")
    const config = box.config({ runtimes: { stuck: { path: stuck } } })
    const run = await runCli(["resolve", "runc", "--json", "--probe-timeout", "500ms", ...box.flags(config)])
    expect(run.code).toBe(0)
    expect(run.stderr).not.toContain("stuck")
    expect(stdoutJson(run).features).not.toBeNull()
  })

  it("a runtime with args whose binary was deleted fails the pre-flight check", async () => {
    const box = sandbox()
    const binary = executable(join(box.dir, "bin/my-runtime"))
    const config = box.config({ runtimes: { mine: { path: binary, runtimeArgs: ["--flag"] } } })
    expect((await runCli(["resolve", "mine", ...box.flags(config)])).code).toBe(0)
    rmSync(binary)
    const run = await runCli(["resolve", "mine", "--json", ...box.flags(config)])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(
      `error: runtimes.mine: error while looking up the specified runtime path: exec: "${binary}": stat ${binary}: no such file or directory`
    )
    expect(stdoutJson(run).error).toEqual({
      _tag: "RuntimePathLookupError",
      message: `error while looking up the specified runtime path: exec: "${binary}": stat ${binary}: no such file or directory`,
      runtime: "mine",
      path: binary,
      reason: `exec: "${binary}": stat ${binary}: no such file or directory`
    })
  })

  it("--add-runtime and --exec-opt apply as dockerd's flags do", async () => {
    const box = sandbox()
    const run = await runCli([
      "resolve",
      "extra",
      "--json",
      ...box.flags(box.config({})),
      "--add-runtime",
      "extra=/usr/sbin/runc",
      "--exec-opt",
      "native.cgroupdriver=systemd"
    ])
    expect(run.code).toBe(0)
    expect(stdoutJson(run).options.value).toEqual({
      binaryName: "/usr/sbin/runc",
      root: join(box.execRoot, "runtime-runc"),
      systemdCgroup: true
    })
  })
})

describe.concurrent("wrapper scripts", () => {
  const wrapped = { runtimes: { wrapped: { path: "/usr/sbin/runc", runtimeArgs: ["--root", "/run/my runc"] } } }

  it("are not written by default: the data root stays absent", async () => {
    const box = sandbox()
    const config = box.config(wrapped)
    for (const command of [["info"], ["resolve", "wrapped"], ["info", "--json"]]) {
      const run = await runCli([...command, ...box.flags(config)])
      expect(run.code).toBe(0)
    }
    expect(existsSync(box.dataRoot)).toBe(false)
    expect(existsSync(box.execRoot)).toBe(false)
  })

  it("--write-wrappers writes each script 0700 into <data-root>/runtimes, and it runs the runtime", async () => {
    const box = sandbox()
    const run = await runCli(["resolve", "wrapped", "--json", "--write-wrappers", ...box.flags(box.config(wrapped))])
    expect(run.code).toBe(0)
    const script: string = stdoutJson(run).options.value.binaryName
    const directory = join(box.dataRoot, "runtimes")
    expect(readdirSync(directory)).toEqual([script.slice(directory.length + 1)])
    expect(modeOf(directory)).toBe(0o700)
    expect(modeOf(script)).toBe(0o700)
    expect(statSync(script).isFile()).toBe(true)
    expect(readFileSync(script, "utf8")).toBe(`#!/bin/sh\nexec '/usr/sbin/runc' '--root' '/run/my runc' "$@"\n`)
  })

  it("--write-wrappers never removes what is already there", async () => {
    const box = sandbox()
    const stray = executable(join(box.dataRoot, "runtimes/old.SCRIPT"))
    const run = await runCli(["info", "--write-wrappers", ...box.flags(box.config(wrapped))])
    expect(run.code).toBe(0)
    expect(existsSync(stray)).toBe(true)
    expect(readdirSync(join(box.dataRoot, "runtimes"))).toHaveLength(2)
  })
})

describe.concurrent("info", () => {
  it("fails, saying so, when the result cannot be written", () => {
    const box = sandbox()
    const full = openSync("/dev/full", "w")
    try {
      const run = spawnSync(node, [bin, "info", "--json", ...box.flags(box.config({}))], {
        stdio: ["ignore", full, "pipe"],
        encoding: "utf8"
      })
      expect(run.status).toBe(1)
      expect(run.stderr).toContain("error: cannot write the result to standard output: no space left on device")
    } finally {
      closeSync(full)
    }
  })

  const config = {
    runtimes: {
      wrapped: { path: "/usr/sbin/runc", runtimeArgs: ["--debug"] },
      kata: { runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata.toml" } }
    }
  }

  it("--json: Docker's GET /info shape, with runc's features in its status", async () => {
    const box = sandbox()
    const run = await runCli(["info", "--json", ...box.flags(box.config(config))])
    expect(run.code).toBe(0)
    const json = stdoutJson(run)
    expect(Object.keys(json)).toEqual(["DefaultRuntime", "CgroupDriver", "Runtimes"])
    expect(json.DefaultRuntime).toBe("runc")
    expect(Object.keys(json.Runtimes)).toEqual(["io.containerd.runc.v2", "kata", "runc", "wrapped"])
    expect(json.Runtimes.kata).toEqual({ runtimeType: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata.toml" } })
    expect(json.Runtimes.wrapped).toMatchObject({ path: "/usr/sbin/runc", runtimeArgs: ["--debug"] })
    for (const name of ["runc", "io.containerd.runc.v2", "wrapped"]) {
      const features = JSON.parse(json.Runtimes[name].status[featuresKey])
      expect(features.ociVersionMin).toMatch(/^1\./)
    }
    expect(json.Runtimes.runc.path).toBe("runc")
  })

  it("without --json: a table with a features summary", async () => {
    const box = sandbox()
    const run = await runCli(["info", ...box.flags(box.config(config))])
    expect(run.code).toBe(0)
    const [defaultLine, driverLine, blank, header, ...rows] = lines(run.stdout)
    expect(defaultLine).toBe("Default runtime: runc")
    expect(driverLine).toMatch(/^Cgroup driver: {3}(cgroupfs|systemd)$/)
    expect(blank).toBe("")
    expect(header?.split(/\s{2,}/)).toEqual(["NAME", "KIND", "SHIM", "BINARY", "FEATURES"])
    expect(rows.map((row) => row.split(/\s{2,}/).slice(0, 4))).toEqual([
      ["io.containerd.runc.v2", "stock", "io.containerd.runc.v2", "runc"],
      ["kata", "type", "io.containerd.kata.v2", "containerd-shim-kata-v2"],
      ["runc", "stock", "io.containerd.runc.v2", "runc"],
      ["wrapped", "path", "io.containerd.runc.v2", "/usr/sbin/runc --debug"]
    ])
    expect(rows[0]).toMatch(/OCI 1\.\S+, \d+ hooks, seccomp/)
    expect(rows[1]).toMatch(/ -$/)
  })

  it("is deterministic", async () => {
    const box = sandbox()
    const file = box.config(config)
    const [first, second] = await Promise.all([runCli(["info", "--json", ...box.flags(file)]), runCli(["info", "--json", ...box.flags(file)])])
    expect(first.stdout).toBe(second.stdout)
  })

  it("stdout stays one JSON document when there are warnings", async () => {
    const box = sandbox()
    const file = box.config({ "exec-opts": ["bogus=1"], runtimes: { gone: { path: join(box.dir, "gone") } } })
    const run = await runCli(["info", "--json", ...box.flags(file)])
    expect(run.code).toBe(0)
    expect(() => stdoutJson(run)).not.toThrow()
    expect(lines(run.stderr).every((line) => line.startsWith("warning: "))).toBe(true)
    expect(lines(run.stderr)).toHaveLength(2)
  })
})

describe.concurrent("colour", () => {
  const box = sandbox()
  const file = box.config({ "exec-opts": ["bogus=1"] })

  it("is off on pipes", async () => {
    const run = await runCli(["info", ...box.flags(file)])
    expect(run.stdout + run.stderr).not.toContain("\u001b[")
  })

  it("FORCE_COLOR turns it on", async () => {
    const run = await runCli(["info", ...box.flags(file)], { FORCE_COLOR: "1" })
    expect(run.stdout).toContain("\u001b[1mNAME")
    expect(run.stderr).toContain("\u001b[33mwarning:\u001b[39m exec-opts[0]")
  })

  it("NO_COLOR wins over FORCE_COLOR", async () => {
    const run = await runCli(["info", ...box.flags(file)], { FORCE_COLOR: "1", NO_COLOR: "1" })
    expect(run.stdout + run.stderr).not.toContain("\u001b[")
  })
})

describe.concurrent("no input makes it die", () => {
  const odd: ReadonlyArray<readonly [string, unknown, ReadonlyArray<string>]> = [
    ["a JSON array", [], ["info"]],
    ["null", "null", ["info"]],
    ["a string", `"runtimes"`, ["validate"]],
    ["prototype-looking names", { runtimes: { __proto__: { path: "/x" }, constructor: { path: "/y" } } }, ["resolve", "__proto__"]],
    ["a name with control characters", { runtimes: { "a\u001b[2J\nb": { path: "/x", runtimeArgs: ["\u0000"] } } }, ["info"]],
    ["a UTF-16 file", "\ufeff{}", ["validate"]],
    ["options of every wrong type", {
      runtimes: { k: { runtimeType: "io.containerd.runc.v2", options: { IoUid: -1, SystemdCgroup: "yes", BinaryName: {} } } }
    }, ["validate"]]
  ]

  it.each(odd)("%s", async (_, content, command) => {
    const box = sandbox()
    const run = await runCli([...command, "--json", ...box.flags(box.config(content))])
    expect([0, 1]).toContain(run.code)
    expect(run.stderr).not.toContain("internal error")
    noStackTrace(run.stderr)
    expect(() => stdoutJson(run)).not.toThrow()
    expect(run.stdout).not.toContain("\u001b")
  })

  it("deeply nested JSON is a configuration error naming where it goes too deep", async () => {
    const box = sandbox()
    const file = box.config("[".repeat(100_000))
    const run = await runCli(["validate", ...box.flags(file)])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`${file}:1:1001: invalid character '[' exceeded max depth`)
    noStackTrace(run.stderr)
  })

  it("deeply nested options within the limit are listed without failing", async () => {
    const box = sandbox()
    const deep = JSON.parse("[".repeat(900) + "]".repeat(900))
    const file = box.config({ runtimes: { kata: { runtimeType: "io.containerd.kata.v2", options: { Deep: deep } } } })
    const run = await runCli(["info", "--json", ...box.flags(file)])
    expect(run.code).toBe(0)
    noStackTrace(run.stderr)
  })

  it.each([["constructor"], ["__proto__"], ["toString"], ["."], ["-"]])("resolve %j", async (name) => {
    const box = sandbox()
    const run = await runCli(["resolve", "--json", ...box.flags(box.config({})), "--", name])
    expect(run.code).toBe(1)
    expect(stdoutJson(run).error._tag).toBe("UnknownRuntime")
  })

  it("--add-runtime with prototype names", async () => {
    const box = sandbox()
    const run = await runCli(["info", "--json", ...box.flags(box.config({})), "--add-runtime", "__proto__=/x", "--add-runtime", "constructor=/y"])
    expect(run.code).toBe(0)
    expect(Object.keys(stdoutJson(run).Runtimes)).toEqual(["__proto__", "constructor", "io.containerd.runc.v2", "runc"])
  })
})
