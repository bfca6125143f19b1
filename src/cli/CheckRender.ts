/**
 * What `oci-runtimes check` prints: its JSON document, and a table with a
 * verdict and a time per runtime, containerd's error beside each failure.
 * Pure, like `Render`, whose styles, escaping and table layout it uses.
 */
import type { CheckReport } from "../containerd/SmokeCheck.ts"
import { escapeText, labelled, quoteWord, renderTable } from "./Render.ts"
import type { Style } from "./Style.ts"

export interface CheckJson {
  readonly ok: boolean
  readonly defaultRuntime: string
  readonly runtimes: ReadonlyArray<{
    readonly name: string
    readonly shim: string
    readonly ok: boolean
    readonly ms: number
    readonly error?: string
  }>
}

/** The report in the documented field order: `name`, `shim`, `ok`, `ms`, then `error` for a failure. */
export const checkJson = (report: CheckReport): CheckJson => ({
  ok: report.ok,
  defaultRuntime: report.defaultRuntime,
  runtimes: report.runtimes.map(({ error, ms, name, ok, shim }) => ({
    name,
    shim,
    ok,
    ms,
    ...(error === undefined ? {} : { error })
  }))
})

const verdictLine = (report: CheckReport): string => {
  const failed = report.runtimes.filter((runtime) => !runtime.ok).length
  const total = report.runtimes.length
  const defaultName = quoteWord(report.defaultRuntime)
  if (failed === 0) return `All ${total} runtimes ran a container.`
  return report.ok
    ? `${failed} of ${total} runtimes failed; the default runtime (${defaultName}) works.`
    : `${failed} of ${total} runtimes failed, the default runtime (${defaultName}) among them.`
}

export const checkText = (report: CheckReport, style: Style): string => {
  const rows = report.runtimes.map((runtime) => [
    { text: quoteWord(runtime.name) },
    { text: quoteWord(runtime.shim) },
    runtime.ok ? { text: "ok", style: style.green } : { text: "FAILED", style: style.red },
    { text: `${runtime.ms} ms` },
    { text: runtime.error === undefined ? "" : escapeText(runtime.error) }
  ])
  return [
    labelled([["Default runtime", [quoteWord(report.defaultRuntime)]]], style),
    "",
    ...renderTable(["NAME", "SHIM", "RESULT", "TIME", "ERROR"], rows, style).map((line) => line.trimEnd()),
    "",
    verdictLine(report)
  ].join("\n")
}
