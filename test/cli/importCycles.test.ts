/**
 * No module of src/ imports itself through others, type-only imports and
 * lazy `import()`s included: a circle makes the order modules load in matter
 * and keeps them from being read one at a time. (The CLI had one: its exit
 * codes, output and rendering imported each other.)
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const srcRoot = fileURLToPath(new URL("../../src/", import.meta.url))

/** Every specifier after `from` or inside `import(…)`, as written. */
const specifiers = /\bfrom\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)|^\s*import\s*"([^"]+)"/gm

/** The modules of src/ each module imports, by path relative to src/. */
export const importGraph = (root: string): ReadonlyMap<string, ReadonlyArray<string>> => {
  const files = (readdirSync(root, { recursive: true }) as Array<string>).map(String).filter((file) => file.endsWith(".ts"))
  return new Map(files.map((file) => {
    const text = readFileSync(join(root, file), "utf8")
    const imported = [...text.matchAll(specifiers)]
      .map((match) => match[1] ?? match[2] ?? match[3] ?? "")
      .filter((specifier) => specifier.startsWith("."))
      .map((specifier) => relative(root, resolve(root, dirname(file), specifier)))
    return [file, [...new Set(imported)]]
  }))
}

/** Each circle found by a depth-first walk, as the modules along it, the first repeated at the end. */
export const circles = (graph: ReadonlyMap<string, ReadonlyArray<string>>): Array<Array<string>> => {
  const found: Array<Array<string>> = []
  const done = new Set<string>()
  const path: Array<string> = []
  const visit = (module: string) => {
    const at = path.indexOf(module)
    if (at >= 0) {
      found.push([...path.slice(at), module])
      return
    }
    if (done.has(module)) return
    path.push(module)
    for (const next of graph.get(module) ?? []) visit(next)
    path.pop()
    done.add(module)
  }
  for (const module of [...graph.keys()].sort()) visit(module)
  return found
}

describe("the import graph of src/", () => {
  it("has no circles", () => {
    expect(circles(importGraph(srcRoot))).toEqual([])
  })

  it("is read from the real sources: the CLI's entry imports its commands", () => {
    expect(importGraph(srcRoot).get("cli/main.ts")).toContain("cli/Commands.ts")
  })

  it("a circle is found, however long", () => {
    const graph = new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts"]], ["d.ts", ["a.ts"]]])
    expect(circles(graph)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]])
  })
})
