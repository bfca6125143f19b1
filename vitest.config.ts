import { defineConfig } from "vitest/config"
import type { Reporter } from "vitest/node"

/**
 * Ends every run with one plain line, `Tests: N passed, N failed`, that any
 * tool reading the output can count without knowing vitest's own format.
 */
const closingLine: Reporter = {
  onTestRunEnd(testModules, unhandledErrors) {
    const count = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed" || state === "failed") count[state]++
        else count.skipped++
      }
    }
    const failed = count.failed + unhandledErrors.length
    const skipped = count.skipped > 0 ? `, ${count.skipped} skipped` : ""
    process.stdout.write(`\nTests: ${count.passed} passed, ${failed} failed${skipped}\n`)
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/containerd/globalSetup.ts"],
    testTimeout: 30_000,
    reporters: ["default", closingLine]
  }
})
