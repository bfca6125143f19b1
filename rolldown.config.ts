/**
 * The CLI bundle (`npm run build:cli`): src/cli/main.ts and what it imports,
 * minified, into dist/cli/oci-runtimes.mjs, with the modules only some
 * commands load (`import()`) in chunks beside it.
 *
 * Start-up is most of a CLI run, so the build also defers one piece of work
 * a dependency does as it loads (see `deferGraphemeSegmenter`).
 */
import { defineConfig, type Plugin } from "rolldown"

/**
 * effect/cli's `CliOutput` builds an `Intl.Segmenter` as it loads, for
 * `displayWidth`; the first `Intl` object of a process sets up ICU, about a
 * sixth of a short command's time, although only help and tables measure
 * text. The bundle builds it on first use instead. Should the module change,
 * the build fails rather than quietly keep the cost.
 */
const deferGraphemeSegmenter: Plugin = {
  name: "defer-grapheme-segmenter",
  transform: {
    filter: { id: /[\\/]effect[\\/]dist[\\/]cli[\\/]CliOutput\.js$/ },
    handler(code) {
      const eager = /const graphemeSegmenter = \/\*#__PURE__\*\/new Intl\.Segmenter\(undefined, \{\s*granularity: "grapheme"\s*\}\);/
      if (!eager.test(code)) throw new Error("effect/cli's CliOutput no longer builds its Intl.Segmenter as expected")
      return code.replace(
        eager,
        "let segmenter;\n" +
          "const graphemeSegmenter = { segment: (text) => (segmenter ??= new Intl.Segmenter(undefined, { granularity: \"grapheme\" })).segment(text) };"
      )
    }
  }
}

export default defineConfig({
  input: "src/cli/main.ts",
  platform: "node",
  logLevel: "warn",
  plugins: [deferGraphemeSegmenter],
  output: {
    dir: "dist/cli",
    format: "esm",
    minify: true,
    entryFileNames: "oci-runtimes.mjs",
    chunkFileNames: "[name]-[hash].mjs",
    cleanDir: true
  }
})
