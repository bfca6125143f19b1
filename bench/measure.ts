/**
 * Timing for the benchmark: samples taken with `performance.now`, summarised
 * as median, min and max, and printed in fixed columns so that two reports
 * can be compared line by line.
 */
import { performance } from "node:perf_hooks"

export interface Settings {
  /** Samples recorded per case. */
  readonly runs: number
  /** Samples taken first and thrown away (JIT, caches, page cache). */
  readonly warmup: number
}

export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
}

export const summarize = (values: ReadonlyArray<number>): Summary => {
  const sorted = [...values].sort((left, right) => left - right)
  const middle = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! }
}

/**
 * Milliseconds per operation: `batch` performs `perBatch` operations and is
 * timed as a whole, `settings.runs` times after `settings.warmup` untimed runs.
 */
export const millisPerOp = async (
  settings: Settings,
  batch: () => unknown,
  perBatch = 1
): Promise<Summary> => {
  for (let i = 0; i < settings.warmup; i++) await batch()
  const samples: Array<number> = []
  for (let i = 0; i < settings.runs; i++) {
    const start = performance.now()
    await batch()
    samples.push((performance.now() - start) / perBatch)
  }
  return summarize(samples)
}

/** A timed step and the untimed preparation it needs first (a fresh directory, a new registry). */
export interface Step {
  readonly prepare?: () => unknown
  readonly run: () => unknown
}

const timeStep = async ({ prepare, run }: Step): Promise<number> => {
  await prepare?.()
  const start = performance.now()
  await run()
  return performance.now() - start
}

/**
 * Two steps timed in turn, A B A B …, so that a drift in the machine's speed
 * hits both alike; the ratio is taken pair by pair.
 */
export const alternate = async (
  settings: Settings,
  a: Step,
  b: Step
): Promise<{ readonly a: Summary; readonly b: Summary; readonly ratio: Summary }> => {
  for (let i = 0; i < settings.warmup; i++) {
    await timeStep(a)
    await timeStep(b)
  }
  const samples: Array<readonly [number, number]> = []
  for (let i = 0; i < settings.runs; i++) samples.push([await timeStep(a), await timeStep(b)])
  return {
    a: summarize(samples.map(([left]) => left)),
    b: summarize(samples.map(([, right]) => right)),
    ratio: summarize(samples.map(([left, right]) => left / right))
  }
}

const labelWidth = 66
const numberWidth = 11

const cell = (value: number, decimals: number) => value.toFixed(decimals).padStart(numberWidth)

/** A section title and its column header, naming the unit of the numbers below it. */
export const header = (title: string, unit: string): string =>
  `\n${title}\n  ${`(${unit})`.padEnd(labelWidth)}${["median", "min", "max"].map((name) => name.padStart(numberWidth)).join("")}`

export const row = (label: string, summary: Summary, decimals = 2): string =>
  `  ${label.padEnd(labelWidth)}${cell(summary.median, decimals)}${cell(summary.min, decimals)}${
    cell(summary.max, decimals)
  }`

export const note = (text: string): string => `  - ${text}`

/** One scenario's result, as `--json` prints it: one object per line. */
export interface ScenarioResult {
  readonly scenario: string
  readonly summary: Summary
  readonly runs: number
  /** `features` processes started by one run of the scenario. */
  readonly probes: number
  /** The scenario against its yardstick (a dockerd-like serial setup), pair by pair. */
  readonly ratio?: Summary | undefined
}

const rounded = (value: number, decimals: number) => Number(value.toFixed(decimals))

export const jsonLine = ({ probes, ratio, runs, scenario, summary }: ScenarioResult): string =>
  JSON.stringify({
    scenario,
    medianMs: rounded(summary.median, 3),
    minMs: rounded(summary.min, 3),
    maxMs: rounded(summary.max, 3),
    runs,
    probes,
    ...(ratio === undefined ? {} : { ratio: rounded(ratio.median, 3) })
  })

/** `get`'s line: nanoseconds per call rather than milliseconds per run. */
export const nsPerCallLine = (scenario: string, nsPerCall: Summary, runs: number): string =>
  JSON.stringify({
    scenario,
    nsPerCall: rounded(nsPerCall.median, 1),
    minNsPerCall: rounded(nsPerCall.min, 1),
    maxNsPerCall: rounded(nsPerCall.max, 1),
    runs,
    probes: 0
  })
