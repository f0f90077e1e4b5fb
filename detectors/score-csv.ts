import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { parse } from 'csv-parse'
import { stringify } from 'csv-stringify'
import { SeriesInputError } from './errors.ts'
import type { SeriesDetector } from './series-detectors.ts'

/**
 * Scores a CSV time series row by row: reads `timestamp,value` (a header row; other columns
 * are ignored), writes `timestamp,value,anomaly_score` (the Numenta Anomaly Benchmark's
 * layout) as it goes. Streaming, with no look-ahead: a row is scored before the next one is
 * read, by a detector that has seen only the rows before it.
 */
export async function scoreCsv(input: Readable, output: Writable, detector: SeriesDetector, opts: { endOutput?: boolean } = {}): Promise<{ rows: number }> {
  const parser = input.pipe(parse({ columns: true, skip_empty_lines: true, trim: true, bom: true }))
  const out = stringify({ header: true, columns: ['timestamp', 'value', 'anomaly_score'] })
  out.pipe(output, { end: opts.endOutput ?? true })
  let rows = 0
  let lastMs = -Infinity
  try {
    for await (const record of parser as AsyncIterable<Record<string, string | undefined>>) {
      rows++
      const ts = record.timestamp
      const raw = record.value
      if (ts === undefined || raw === undefined) throw new SeriesInputError(rows, 'the CSV needs a header with the columns timestamp and value')
      const tsMs = parseTimestamp(ts)
      if (Number.isNaN(tsMs)) throw new SeriesInputError(rows, `timestamp "${ts}" is neither ISO-8601 ("2014-04-01 00:00:00" is read as UTC) nor epoch seconds or milliseconds`)
      if (tsMs < lastMs) throw new SeriesInputError(rows, `timestamp "${ts}" is earlier than the row before it; sort the file by time`)
      lastMs = tsMs
      const value = raw === '' ? NaN : Number(raw)
      if (!Number.isFinite(value)) throw new SeriesInputError(rows, `value "${raw}" is not a finite number`)
      const score = detector.update(tsMs, value)
      if (!out.write([ts, raw, score.toFixed(6)])) await once(out, 'drain')
    }
  } finally {
    out.end()
    await finished(out)
    if (opts.endOutput ?? true) await finished(output)
  }
  return { rows }
}

/** Epoch ms of a CSV timestamp: ISO-8601 (no zone means UTC) or epoch seconds / milliseconds; NaN otherwise. */
export function parseTimestamp(raw: string): number {
  const t = raw.trim()
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t)
    return n < 1e11 ? n * 1000 : n
  }
  if (/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(t)) {
    const [date, time = '00:00:00'] = t.split(/[ T]/)
    // JavaScript's Date takes at most millisecond precision; NAB writes microseconds.
    return Date.parse(`${date}T${time.replace(/(\.\d{3})\d+$/, '$1')}Z`)
  }
  return Date.parse(t)
}
