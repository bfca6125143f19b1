#!/usr/bin/env node
// The `oci-runtimes` command.
//
// It runs the bundle `npm ci` builds (`prepare` → `npm run build` →
// dist/cli/oci-runtimes.mjs, with the containerd client in chunks loaded only
// by the commands that talk to containerd): loading the bundle takes about a
// fifth of the time Node needs to load the TypeScript sources module by
// module, and start-up is most of a CLI run. When there is no bundle, or a
// source file is newer than it (someone is editing), it runs the sources
// instead, by Node's type stripping, so what runs is always what the sources
// say.
//
// Node's compile cache (in the system's temporary directory) keeps V8's
// compiled code between runs, which saves about a sixth of a short command's
// time; Node without it simply compiles again.
//
// This file itself runs on any Node still about (the machine's own may be
// older than the bundle needs), so that an old one gets one line saying what
// is needed rather than a screen of minified code and a stack trace.
import { readdirSync, statSync } from "node:fs"
import module, { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

// Node opens its inspector on SIGUSR1, which operators send dockerd for a stack
// dump; anyone on the host could then run code as this process (root, for a
// daemon). A listener of our own, from the first moment on, keeps it shut.
process.on("SIGUSR1", () => {})

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const { engines, version } = createRequire(import.meta.url)("../package.json")

/** Whether dotted version `a` comes before `b` (`20.20.2` before `22.19`). */
const isOlder = (a, b) => {
  const [left, right] = [a, b].map((text) => text.split(".").map(Number))
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if ((left[i] ?? 0) !== (right[i] ?? 0)) return (left[i] ?? 0) < (right[i] ?? 0)
  }
  return false
}

const needed = engines.node.replace(/^>=\s*/, "")
if (isOlder(process.versions.node, needed)) {
  process.stderr.write(
    `oci-runtimes: needs Node.js ${needed} or later, and this is ${process.version} (${process.execPath}); ` +
      "in a checkout, `npx oci-runtimes` runs the Node.js 24 that `npm ci` installs into node_modules/.bin\n"
  )
  process.exit(1)
}

// `--version` alone needs none of the bundle: the line effect/cli's built-in
// prints, at the cost of starting Node rather than of loading the whole CLI.
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  process.stdout.write(`oci-runtimes ${version}\n`)
  process.exit(0)
}

module.enableCompileCache?.()

const modifiedAt = (path) => {
  try {
    return statSync(path).mtimeMs
  } catch {
    return undefined
  }
}

/**
 * The newest modification time of the sources, or 0 outside a git checkout:
 * an installed package ships its sources but nobody edits them there, and the
 * scan costs a short command about a tenth of its time.
 */
const newestSource = () => {
  if (modifiedAt(here("../.git")) === undefined) return 0
  const root = here("../src/")
  let newest = 0
  let entries = []
  try {
    entries = readdirSync(root, { recursive: true })
  } catch {
    return 0
  }
  for (const entry of entries) {
    if (String(entry).endsWith(".ts")) newest = Math.max(newest, modifiedAt(root + entry) ?? 0)
  }
  return newest
}

const bundle = new URL("../dist/cli/oci-runtimes.mjs", import.meta.url)
const bundleTime = modifiedAt(fileURLToPath(bundle))
const useBundle = bundleTime !== undefined && bundleTime >= newestSource()

if (!useBundle && process.features.typescript === undefined) {
  process.stderr.write(
    `oci-runtimes: no up-to-date build in ${fileURLToPath(bundle)} and this Node.js (${process.version}) cannot run TypeScript; ` +
      "run `npm run build`, or use Node.js 22.18 or later\n"
  )
  process.exit(70)
}

const { runCli } = await import(useBundle ? bundle.href : "../src/cli/main.ts")
runCli(version, args)
