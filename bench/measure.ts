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

/**
 * Two commands timed in turn, A B A B …, so that a drift in the machine's
 * speed hits both alike; the ratio is taken pair by pair.
 */
export const alternate = async (
  settings: Settings,
  a: () => unknown,
  b: () => unknown
): Promise<{ readonly a: Summary; readonly b: Summary; readonly ratio: Summary }> => {
  const time = async (run: () => unknown) => {
    const start = performance.now()
    await run()
    return performance.now() - start
  }
  for (let i = 0; i < settings.warmup; i++) {
    await a()
    await b()
  }
  const samples: Array<readonly [number, number]> = []
  for (let i = 0; i < settings.runs; i++) samples.push([await time(a), await time(b)])
  return {
    a: summarize(samples.map(([left]) => left)),
    b: summarize(samples.map(([, right]) => right)),
    ratio: summarize(samples.map(([left, right]) => left / right))
  }
}

/** The same samples as operations per second (in `unit`s): the slowest sample gives the minimum. */
export const perSecond = (millis: Summary, unit = 1): Summary => ({
  median: 1000 / millis.median / unit,
  min: 1000 / millis.max / unit,
  max: 1000 / millis.min / unit
})

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
