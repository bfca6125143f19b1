import { execFileSync, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { bin } from "./harness.ts"

/**
 * A Node.js older than the one the CLI needs: the machines ship Node 20 as
 * the system's `node`, beside the Node 24 that `npm ci` installs.
 */
const oldNode = ["/usr/bin/node", "/usr/local/bin/node", "/bin/node"].find((path) =>
  existsSync(path) && Number(execFileSync(path, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" })) < 22
)

describe("oci-runtimes on a Node.js that is too old", () => {
  it("says in one line which Node it needs and how to get it, and exits 1", () => {
    expect(oldNode).toBeDefined()
    const run = spawnSync(oldNode!, [bin, "info"], { encoding: "utf8" })
    expect(run.status).toBe(1)
    expect(run.stdout).toBe("")
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1)
    expect(run.stderr).toMatch(/^oci-runtimes: needs Node\.js 22\.19 or later, and this is v\d+\.\d+\.\d+ \(/)
    expect(run.stderr).toContain("`npx oci-runtimes`")
  })
})
