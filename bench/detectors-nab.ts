import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { optimizeThreshold, scoreAtThreshold, sweepFile, type NabFile, type NabResult } from '../detectors/nab-score.ts'
import { parseTimestamp } from '../detectors/score-csv.ts'
import { createSeriesDetector, type SeriesDetectorName } from '../detectors/series-detectors.ts'

/**
 * The series detectors on the NAB subset in ../shared/data/nab: every file scored row by row
 * as the CSV command does, NAB-scored per series group and over the corpus, with one
 * threshold per detector chosen over the corpus (NAB's own method), beside NAB's
 * windowed-Gaussian baseline computed in the same run.
 */

/** One labelled series of the corpus. */
export interface NabSeries {
  readonly name: string
  readonly group: string
  readonly timestampsMs: Float64Array
  readonly values: Float64Array
  readonly windows: ReadonlyArray<{ startMs: number; endMs: number }>
}

/** Loads every `data/<group>/<name>.csv` with its windows from combined_windows.json. */
export function loadNabCorpus(dir: string): NabSeries[] {
  const windows = JSON.parse(readFileSync(path.join(dir, 'combined_windows.json'), 'utf8')) as Record<string, Array<[string, string]>>
  const out: NabSeries[] = []
  for (const group of readdirSync(path.join(dir, 'data')).sort()) {
    for (const file of readdirSync(path.join(dir, 'data', group)).filter((f) => f.endsWith('.csv')).sort()) {
      const lines = readFileSync(path.join(dir, 'data', group, file), 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '')
      const ts = new Float64Array(lines.length)
      const values = new Float64Array(lines.length)
      lines.forEach((line, i) => {
        const comma = line.indexOf(',')
        ts[i] = parseTimestamp(line.slice(0, comma))
        values[i] = Number(line.slice(comma + 1))
      })
      const key = `${group}/${file}`
      out.push({
        name: key,
        group,
        timestampsMs: ts,
        values,
        windows: (windows[key] ?? []).map(([a, b]) => ({ startMs: parseTimestamp(a), endMs: parseTimestamp(b) })),
      })
    }
  }
  return out
}

/** A detector's NAB results: per group and over the corpus, at its corpus-optimal threshold. */
export interface NabDetectorResult {
  readonly detector: string
  readonly threshold: number
  readonly corpus: NabResult
  readonly groups: ReadonlyArray<{ group: string; files: number; result: NabResult }>
  readonly scoreMs: number
}

/** Scores the corpus with one detector (a fresh detector per file). */
export function evaluateNab(corpus: readonly NabSeries[], detector: SeriesDetectorName): NabDetectorResult {
  const t0 = performance.now()
  const files: NabFile[] = corpus.map((s) => {
    const d = createSeriesDetector(detector, 'bench')
    const scores = new Float64Array(s.values.length)
    for (let i = 0; i < s.values.length; i++) scores[i] = d.update(s.timestampsMs[i] as number, s.values[i] as number)
    return { name: s.name, group: s.group, timestampsMs: s.timestampsMs, scores, windows: s.windows }
  })
  const scoreMs = performance.now() - t0
  const swept = files.map((f) => sweepFile(f))
  const { threshold } = optimizeThreshold(swept)
  const groups = [...new Set(files.map((f) => f.group))].map((group) => {
    const mine = swept.filter((s) => s.file.group === group)
    return { group, files: mine.length, result: scoreAtThreshold(mine, threshold) }
  })
  return { detector, threshold, corpus: scoreAtThreshold(swept, threshold), groups, scoreMs }
}
