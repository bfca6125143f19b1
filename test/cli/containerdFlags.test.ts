/**
 * `--address`, `--namespace` and `--rootfs` of `run` and `check`, checked
 * while the command line is parsed: a bad one is a usage error (exit 2) that
 * names the flag, and nothing reaches containerd.
 */
import { afterAll, describe, expect, it } from "vitest"
import { address, namespaceContents, rootfs } from "../containerd/runSupport.ts"
import { lines, runCli, sandbox } from "./harness.ts"

const namespace = "cli-flags-test"

afterAll(() => {
  expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
})

interface Where {
  readonly address?: string
  readonly namespace?: string
  readonly rootfs?: string
}

/** `command` against the private containerd in `namespace`, but for what `where` says instead. */
const invoke = (command: "run" | "check", where: Where) => {
  const box = sandbox()
  const flags = { address: address(), namespace, rootfs: rootfs(), ...where }
  return runCli([
    command,
    ...box.flags(box.config({})),
    ...Object.entries(flags).flatMap(([flag, value]) => [`--${flag}`, value]),
    ...(command === "run" ? ["--", "true"] : [])
  ])
}

describe.concurrent("the containerd flags", () => {
  it.each(["run", "check"] as const)("%s: a namespace containerd would refuse is a usage error that says why", async (command) => {
    const run = await invoke(command, { namespace: "bad/ns!" })
    expect(run.code).toBe(2)
    expect(run.stdout).toBe("")
    expect(lines(run.stderr)[0]).toBe(
      `error: Invalid value for flag --namespace: "bad/ns!". Expected: a containerd namespace: letters and digits, ` +
        `in runs joined by single '.', '_' or '-', at most 76 characters (it contains "/")`
    )
  })

  it("an empty namespace is a usage error", async () => {
    const run = await invoke("run", { namespace: "" })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--namespace")
    expect(run.stderr).toContain("(it is empty)")
  })

  it("a namespace longer than 76 characters is a usage error", async () => {
    const run = await invoke("run", { namespace: "n".repeat(77) })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("(it is 77 characters long, more than 76)")
  })

  it.each(["", "unix://"])("an address naming no socket (%j) is a usage error", async (given) => {
    const run = await invoke("run", { address: given })
    expect(run.code).toBe(2)
    expect(lines(run.stderr)[0]).toMatch(/^error: .* flag --address.*Expected: containerd's socket, as a path or unix:\/\/PATH$/)
  })

  it.each(["run", "check"] as const)("%s: an empty rootfs is a usage error, not the current directory", async (command) => {
    const run = await invoke(command, { rootfs: "" })
    expect(run.code).toBe(2)
    expect(lines(run.stderr)[0]).toMatch(/flag --rootfs.*Expected: a directory \(an empty path would be the current directory\)$/)
  })

  it("a rootfs that is a file is a usage error", async () => {
    const run = await invoke("run", { rootfs: "/etc/passwd" })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("Path is not a directory: /etc/passwd")
  })

  it("run reaches containerd at unix://PATH", async () => {
    const box = sandbox()
    const flags = ["--address", `unix://${address()}`, "--namespace", namespace, "--rootfs", rootfs()]
    const run = await runCli(["run", ...box.flags(box.config({})), ...flags, "--", "/bin/sh", "-c", "echo ok"])
    expect(run).toEqual({ code: 0, stdout: "ok\n", stderr: "" })
  })
})
