/**
 * A second SIGINT or SIGTERM while `run`'s cleanup hangs: the CLI gives up on
 * the cleanup at once, says so, and exits 128+N. The hang is a runtime whose
 * `kill` and `delete` take 4 s; the container it leaves is removed here, with
 * ctr, since abandoning it is the behaviour under test.
 */
import { execFile, spawn } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, describe, expect, it } from "vitest"
import { address, containerdFlags, namespaceContents, runc } from "../containerd/runSupport.ts"
import { bin, executable, node, repoRoot, sandbox } from "./harness.ts"

/** A namespace per test, so that each removes exactly what it left. */
const namespaces = { SIGINT: "cli-signals-int", SIGTERM: "cli-signals-term" } as const
/** How long the runtime stalls in `kill` and `delete`: far longer than the test waits, short enough for containerd. */
const stallSeconds = 4

/** runc, but `kill` and `delete` stall first: cleanup that hangs, then finishes. */
const stallingRuntime = (dir: string) =>
  executable(
    join(dir, "stalling-runc"),
    `#!/bin/sh\nfor arg in "$@"; do\n  case "$arg" in kill|delete) sleep ${stallSeconds}; break ;; esac\ndone\nexec ${runc} "$@"\n`
  )

const ctr = (namespace: string, ...args: Array<string>) =>
  promisify(execFile)("ctr", ["--address", address(), "--namespace", namespace, ...args], { encoding: "utf8" })

/** What `ctr … list --quiet` lists, without blocking the event loop: the other test is timing an exit. */
const listed = async (namespace: string, kind: "containers" | "tasks") =>
  (await ctr(namespace, kind, "list", "--quiet")).stdout.split("\n").filter((line) => line !== "")

/** Removes what the abandoned cleanup left, waiting for containerd (and the stalling runtime) to finish. */
const removeLeftovers = async (namespace: string) => {
  for (const task of await listed(namespace, "tasks")) await ctr(namespace, "tasks", "delete", "--force", task)
  for (const container of await listed(namespace, "containers")) await ctr(namespace, "containers", "delete", container)
}

afterAll(() => {
  for (const namespace of Object.values(namespaces)) {
    expect(namespaceContents(namespace)).toEqual({ containers: [], tasks: [] })
  }
})

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** `run` with the stalling runtime, its container up and printing; resolves once the first output is out. */
const runningContainer = async (namespace: string) => {
  const box = sandbox()
  const config = box.config({ runtimes: { stalling: { path: stallingRuntime(box.dir) } } })
  const child = spawn(
    node,
    [bin, "run", ...box.flags(config), ...containerdFlags(namespace), "--runtime", "stalling", "--", "/bin/sh", "-c", "echo up; exec sleep 30"],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] }
  )
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ readonly code: number | null; readonly at: number }>((resolve) =>
    child.on("exit", (code) => resolve({ code, at: Date.now() }))
  )
  // Everything written before the exit has been read once the pipes close.
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()))
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
  return { child, exited, closed, stderr: () => stderr }
}

/**
 * Interrupts twice, 300 ms apart, and what the CLI did after each; then
 * removes the container, whatever happened.
 */
const interruptTwice = async (signal: keyof typeof namespaces) => {
  const live = await runningContainer(namespaces[signal])
  try {
    live.child.kill(signal)
    await sleep(300)
    const runningAfterFirst = live.child.exitCode === null && live.child.signalCode === null
    const secondAt = Date.now()
    live.child.kill(signal)
    const exit = await live.exited
    await live.closed
    return { runningAfterFirst, code: exit.code, afterSecond: exit.at - secondAt, stderr: live.stderr() }
  } finally {
    live.child.kill("SIGKILL")
    await live.closed
    await removeLeftovers(namespaces[signal])
  }
}

const abandonedLine = `oci-runtimes: interrupted again: exiting without finishing cleanup; ` +
  `find leftovers with: ctr --namespace NS containers ls 'labels."io.oci-runtimes.created-by"==oci-runtimes'\n`

/** Removing what the abandoned cleanup leaves waits out the stalls of containerd's own kills and deletes. */
describe.concurrent("a second signal while cleanup hangs", () => {
  it("a second SIGINT exits 130 at once, saying the cleanup is abandoned and where leftovers are found", async () => {
    const run = await interruptTwice("SIGINT")
    expect(run.runningAfterFirst).toBe(true)
    expect(run.code).toBe(130)
    expect(run.afterSecond).toBeLessThan(2_000)
    expect(run.stderr).toBe(abandonedLine)
  }, 60_000)

  it("a second SIGTERM exits 143 at once, saying the cleanup is abandoned", async () => {
    const run = await interruptTwice("SIGTERM")
    expect(run.runningAfterFirst).toBe(true)
    expect(run.code).toBe(143)
    expect(run.afterSecond).toBeLessThan(2_000)
    expect(run.stderr).toBe(abandonedLine)
  }, 60_000)
})
