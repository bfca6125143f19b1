/**
 * SIGHUP (the terminal closing, an ssh session dropping) stops the CLI as
 * SIGTERM does: the command is interrupted, its cleanup kills the probes it
 * started, and it exits 129 (128 + SIGHUP). A probe sits in a process group
 * of its own, so the hangup never reaches it directly: without that cleanup
 * a hung one would outlive the CLI.
 */
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { bin, executable, node, repoRoot, sandbox } from "./harness.ts"

/** A runtime whose `features` writes its pid to `pidFile` and then hangs (as that same process). */
const hangingRuntime = (dir: string, pidFile: string) =>
  executable(
    join(dir, "hanging-runtime"),
    `#!/bin/sh\nif [ "$1" = features ]; then echo $$ > ${pidFile}; exec sleep 600; fi\nexit 0\n`
  )

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

/** The pid the hung probe wrote, once it has. */
const hungProbePid = async (pidFile: string): Promise<number> => {
  while (!existsSync(pidFile) || readFileSync(pidFile, "utf8").trim() === "") await sleep(20)
  return Number(readFileSync(pidFile, "utf8").trim())
}

describe.concurrent("SIGHUP while a probe hangs", () => {
  it.each([["validate"], ["info"]])("%s exits 129 and leaves no probe behind", async (command) => {
    const box = sandbox()
    const pidFile = join(box.dir, "probe.pid")
    const config = box.config({ runtimes: { hanging: { path: hangingRuntime(box.dir, pidFile) } } })
    const child = spawn(node, [bin, command, ...box.flags(config), "--probe-timeout", "10m"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal }))
    )
    const pid = await hungProbePid(pidFile)
    try {
      child.kill("SIGHUP")
      expect(await exited).toEqual({ code: 129, signal: null })
      expect(isAlive(pid)).toBe(false)
      expect(stderr).toBe("")
    } finally {
      if (isAlive(pid)) process.kill(pid, "SIGKILL")
      child.kill("SIGKILL")
    }
  })
})
