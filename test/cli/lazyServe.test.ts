/**
 * validate, resolve and info never load serve's HTTP server: nothing
 * `cli/main.ts` imports statically, directly or not, imports `effect/http`
 * or Node's HTTP server; `serve` reaches them through `import()` only.
 */
import { readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const srcRoot = fileURLToPath(new URL("../../src/", import.meta.url))

/** Static imports only: `from "…"` and bare `import "…"`, not `import(…)`. */
const staticSpecifiers = /\bfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"/gm

const staticImports = (module: string): Array<string> =>
  [...readFileSync(join(srcRoot, module), "utf8").matchAll(staticSpecifiers)].map((match) => match[1] ?? match[2] ?? "")

/** Every module of src/ that `entry` loads statically, itself included, and the packages they import. */
const loadedBy = (entry: string) => {
  const modules = new Set<string>()
  const packages = new Set<string>()
  const visit = (module: string) => {
    if (modules.has(module)) return
    modules.add(module)
    for (const specifier of staticImports(module)) {
      if (specifier.startsWith(".")) visit(relative(srcRoot, resolve(srcRoot, dirname(module), specifier)))
      else packages.add(specifier)
    }
  }
  visit(entry)
  return { modules, packages }
}

describe("what the CLI loads before a command runs", () => {
  it("has no HTTP server: serve's modules come through import() only", () => {
    const { modules, packages } = loadedBy("cli/main.ts")
    expect([...modules].filter((module) => /Serve|Engine|SocketFile/.test(module))).toEqual([])
    expect([...packages].filter((name) => name.startsWith("effect/http") || name.includes("HttpServer"))).toEqual([])
  })

  it("is read from the real sources: serve's module does load the server", () => {
    expect(loadedBy("cli/Serve.ts").packages).toContain("@effect/platform-node/NodeHttpServer")
  })
})
