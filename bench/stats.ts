import { readFileSync } from 'node:fs'

/** Median, min and max of a repeated measurement. */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly samples: readonly number[]
}

/** Summarises samples; the median of an even count is the mean of the middle two. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples to summarise')
  const s = [...samples].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { median, min: s[0]!, max: s[s.length - 1]!, samples }
}

/** Formats a rate with thousands separators and no decimals. */
export function formatRate(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** Renders rows as a plain-text table with a header rule; every column left-aligned. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** CPU seconds the whole machine spent busy (not idle or iowait) so far, from /proc/stat. */
export function machineBusyCpuSec(): number {
  const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
  const [, user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = first.trim().split(/\s+/).map(Number)
  // USER_HZ is 100 on Linux for every architecture Node runs on.
  return (user + nice + system + irq + softirq + steal) / 100
}

/** CPU seconds this process has used so far (user + system). */
export function processCpuSec(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}
