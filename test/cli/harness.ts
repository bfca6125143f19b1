/**
 * Runs the real `oci-runtimes` executable, as a user would, against
 * configurations in temporary directories, with the host's real runc.
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
export const node = join(repoRoot, "node_modules/.bin/node")
export const bin = join(repoRoot, "bin/oci-runtimes.mjs")

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** runc lives in /usr/sbin, which not every PATH has. */
const pathWithSbin = (path: string | undefined) => {
  const dirs = (path ?? "").split(":").filter((dir) => dir !== "")
  for (const dir of ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]) if (!dirs.includes(dir)) dirs.push(dir)
  return dirs.join(":")
}

/**
 * Runs the CLI with `args`. Colour variables are cleared unless `env` sets
 * them, so output is plain (stdout and stderr are pipes) whatever the test
 * runner's environment says.
 */
export const runCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(node, [bin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: "", FORCE_COLOR: "", PATH: pathWithSbin(process.env["PATH"]), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** Parses stdout, which must be exactly one JSON document. */
export const stdoutJson = (run: Run): any => JSON.parse(run.stdout)

/** A fresh directory; `data` and `exec` below it are the data and exec roots, and are not created. */
export interface Sandbox {
  readonly dir: string
  readonly dataRoot: string
  readonly execRoot: string
  /** Writes daemon.json (an object is serialised) and returns its path. */
  readonly config: (content: unknown, name?: string) => string
  /** `--config FILE --data-root … --exec-root …`, so nothing outside the sandbox is read or written. */
  readonly flags: (configFile: string) => Array<string>
  /** Every path below the sandbox, relative, sorted: to show nothing was written. */
  readonly listing: () => Array<string>
}

/** The sandboxes of the test file running, removed once its tests are done. */
const sandboxes: Array<string> = []
afterAll(() => {
  for (const dir of sandboxes.splice(0)) rmSync(dir, { recursive: true, force: true })
})

export const sandbox = (): Sandbox => {
  const dir = mkdtempSync(join(tmpdir(), "oci-runtimes-cli-"))
  sandboxes.push(dir)
  const dataRoot = join(dir, "data")
  const execRoot = join(dir, "exec")
  return {
    dir,
    dataRoot,
    execRoot,
    config: (content, name = "daemon.json") => {
      const file = join(dir, name)
      writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content, null, 2))
      return file
    },
    flags: (configFile) => ["--config", configFile, "--data-root", dataRoot, "--exec-root", execRoot],
    listing: () => (readdirSync(dir, { recursive: true }) as Array<string>).map(String).sort()
  }
}

/** An executable shell script at `path` (its directory created), for a runtime binary that can be deleted. */
export const executable = (path: string, content = "#!/bin/sh\nexit 0\n") => {
  mkdirSync(join(path, ".."), { recursive: true })
  writeFileSync(path, content, { mode: 0o755 })
  return path
}

export const modeOf = (path: string) => statSync(path).mode & 0o777

/** Lines of a stream's text, without the empty one after the final newline. */
export const lines = (text: string) => text.split("\n").filter((line, index, all) => line !== "" || index < all.length - 1)
