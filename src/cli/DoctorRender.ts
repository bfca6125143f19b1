/**
 * What `oci-runtimes doctor` prints: its JSON document, and a table with a
 * verdict per runtime and every check that did not pass. Pure, like `Render`,
 * whose styles, escaping and table layout it uses.
 */
import type { ConfigWarning } from "../config/Problem.ts"
import type { Check, CheckName, Diagnosis, Severity } from "../doctor/Diagnosis.ts"
import { type WarningJson, warningsJson } from "../registry/TableJson.ts"
import { escapeText, labelled, quoteWord, renderTable } from "./Render.ts"
import type { Style } from "./Style.ts"

export interface DoctorCheckJson {
  readonly check: CheckName
  readonly ok: boolean
  readonly severity: Severity
  readonly message: string
}

export interface DoctorJson {
  readonly ok: boolean
  readonly defaultRuntime: string
  /** containerd's executable as found (symbolic links resolved), or `null`. */
  readonly containerd: string | null
  readonly runtimes: ReadonlyArray<{
    readonly name: string
    readonly ok: boolean
    readonly checks: ReadonlyArray<DoctorCheckJson>
  }>
  readonly warnings: ReadonlyArray<WarningJson>
}

export const doctorJson = (diagnosis: Diagnosis, warnings: ReadonlyArray<ConfigWarning>): DoctorJson => ({
  ok: diagnosis.ok,
  defaultRuntime: diagnosis.defaultRuntime,
  containerd: diagnosis.containerd._tag === "Found" ? diagnosis.containerd.path : null,
  runtimes: diagnosis.runtimes.map(({ checks, name, ok }) => ({
    name,
    ok,
    checks: checks.map(({ check, message, ok, severity }) => ({ check, ok, severity, message }))
  })),
  warnings: warningsJson(warnings)
})

const severityStyle = (severity: Severity, style: Style): (text: string) => string =>
  severity === "error" ? style.red : severity === "warning" ? style.yellow : style.dim

const findingRows = (checks: ReadonlyArray<Check>, style: Style) =>
  checks.filter((check) => !check.ok).map((check) => [
    { text: check.severity, style: severityStyle(check.severity, style) },
    { text: check.check },
    { text: escapeText(check.message) }
  ])

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`

const summary = (diagnosis: Diagnosis): string => {
  const broken = diagnosis.runtimes.filter((runtime) => !runtime.ok)
  const total = diagnosis.runtimes.length
  if (broken.length === 0) return `All ${plural(total, "runtime")} can run containers.`
  const names = broken.map((runtime) => quoteWord(runtime.name)).join(", ")
  const verdict = diagnosis.defaultOk
    ? `the default runtime (${quoteWord(diagnosis.defaultRuntime)}) can.`
    : `the default runtime (${quoteWord(diagnosis.defaultRuntime)}) is one of them.`
  return `${broken.length} of ${plural(total, "runtime")} cannot run containers (${names}); ${verdict}`
}

/**
 * The header (default runtime, containerd), one row per runtime with its
 * verdict and first finding, a row for each further finding, then a summary.
 * A finding is a check that did not pass, with its severity (`LEVEL`: only
 * an `error` makes a runtime BROKEN); `--json` has every check.
 */
export const doctorText = (diagnosis: Diagnosis, style: Style): string => {
  const header = labelled([
    ["Default runtime", [quoteWord(diagnosis.defaultRuntime)]],
    [
      "containerd",
      [diagnosis.containerd._tag === "Found"
        ? quoteWord(diagnosis.containerd.path)
        : style.yellow(`not found (${escapeText(diagnosis.containerd.reason)})`)]
    ]
  ], style)
  const rows = diagnosis.runtimes.flatMap((runtime) => {
    const name = { text: quoteWord(runtime.name) }
    const verdict = runtime.ok ? { text: "ok", style: style.green } : { text: "BROKEN", style: style.red }
    const [first, ...rest] = findingRows(runtime.checks, style)
    const none = { text: "-", style: style.dim }
    return [
      first === undefined ? [name, verdict, none] : [name, verdict, ...first],
      ...rest.map((finding) => [{ text: "" }, { text: "" }, ...finding])
    ]
  })
  const table = renderTable(["NAME", "VERDICT", "LEVEL", "CHECK", "FINDING"], rows, style)
  return [header, "", ...table, "", summary(diagnosis)].join("\n")
}
