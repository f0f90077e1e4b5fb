import { useEffect, useMemo, useState } from 'react'
import type uPlot from 'uplot'
import type { TimeSeriesDto } from '../../../gateway/api-types.ts'
import type { EntityRef } from '../../../gateway/socket-events.ts'
import { bandsPlugin, type BandSource, type ScoreBand, type TimeBand } from '../charts/bands-plugin.ts'
import { UPlotChart, type ChartSource } from '../charts/uplot-chart.tsx'
import type { AlertStore } from '../live/alert-store.ts'
import { MinuteSeries } from '../live/minute-series.ts'
import { formatDollarsAxis, formatTimeTicks } from '../format.ts'
import { useServices } from '../services.tsx'

const RANGES = [
  { id: '1h', label: 'Last hour (live)', ms: 3_600_000, stepSec: 60 },
  { id: '6h', label: '6 hours', ms: 6 * 3_600_000, stepSec: 60 },
  { id: '24h', label: '24 hours', ms: 24 * 3_600_000, stepSec: 300 },
  { id: '7d', label: '7 days', ms: 7 * 86_400_000, stepSec: 1_800 },
] as const
type RangeId = (typeof RANGES)[number]['id']

/** Closed minutes are re-read from the time-series API this long after they close (late events). */
const SETTLE_MS = 5_000
const HISTORY_REFRESH_MS = 60_000

/**
 * A chart source over columnar data: live (a MinuteSeries fed by window updates) or history
 * (a time-series answer). `column` picks spend (1), clicks (2) or CTR % (3).
 */
class SeriesSource implements ChartSource {
  private readonly listeners = new Set<() => void>()
  private history: Float64Array[] | undefined
  private changes = 0

  constructor(readonly minutes: MinuteSeries) {}

  get version(): number {
    return this.changes
  }

  /** All columns: [t, spend, clicks, ctr%]. */
  columns(): readonly Float64Array[] {
    return this.history ?? this.minutes.data()
  }

  data(): uPlot.AlignedData {
    return this.columns() as unknown as uPlot.AlignedData
  }

  showHistory(ts: TimeSeriesDto | undefined): void {
    this.history = ts === undefined ? undefined : historyColumns(ts)
    this.changed()
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  changed(): void {
    this.changes++
    for (const l of this.listeners) l()
  }
}

/** One metric of a SeriesSource, as the two-column data a chart draws. */
class ColumnSource implements ChartSource {
  constructor(private readonly source: SeriesSource, private readonly column: number) {}
  get version(): number {
    return this.source.version
  }
  data(): uPlot.AlignedData {
    const c = this.source.columns()
    return [c[0]!, c[this.column]!]
  }
  subscribe(listener: () => void): () => void {
    return this.source.subscribe(listener)
  }
}

function historyColumns(ts: TimeSeriesDto): Float64Array[] {
  const n = ts.timesSec.length
  const t = Float64Array.from(ts.timesSec)
  const spend = new Float64Array(n)
  const clicks = Float64Array.from(ts.clicks)
  const ctr = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    spend[i] = (ts.spendMicros[i] ?? 0) / 1e6
    const imp = ts.impressions[i] ?? 0
    ctr[i] = imp === 0 ? 0 : ((ts.clicks[i] ?? 0) / imp) * 100
  }
  return [t, spend, clicks, ctr]
}

function alertBandsOf(alerts: AlertStore, entity: EntityRef, nowMs: number): TimeBand[] {
  const out: TimeBand[] = []
  for (const a of alerts.list()) {
    if (a.entity !== entity.id || a.level !== entity.level) continue
    out.push({ fromSec: a.startedMs / 1000, toSec: (a.endedMs ?? nowMs) / 1000, kind: a.state })
  }
  return out
}

/**
 * Spend, clicks and CTR per minute of one entity: the last hour live (history from the API,
 * then the socket's window updates, redrawn at most once per frame), longer ranges from the
 * time-series API; alert intervals and detector scores as bands on the same time axis.
 */
export function EntityCharts({ entity }: { entity: EntityRef }) {
  const { api, live, alerts } = useServices()
  const [range, setRange] = useState<RangeId>('1h')
  const [error, setError] = useState<string | undefined>()
  const source = useMemo(() => new SeriesSource(new MinuteSeries(61)), [entity.level, entity.id])
  const scores = useMemo(() => ({ current: undefined as ScoreBand | undefined }), [entity.level, entity.id])

  // Live: the entity's window updates go into the minute series.
  useEffect(() => {
    live.setInterest('chart', 0, [entity])
    const off = live.onWindows((batch) => {
      let changed = false
      for (const u of batch) if (u.level === entity.level && u.id === entity.id) changed = source.minutes.applyWindow(u) || changed
      if (changed && range === '1h') source.changed()
    })
    return () => {
      off()
      live.setInterest('chart', 0, [])
    }
  }, [live, entity, source, range])

  // History: the last hour seeds the live series; longer ranges replace it while shown.
  useEffect(() => {
    const r = RANGES.find((x) => x.id === range)!
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    let seeded = false
    const load = async () => {
      const now = Date.now()
      try {
        const ts = await api.timeSeries(entity.level, entity.id, now - r.ms, now + 60_000, r.stepSec, controller.signal)
        if (range === '1h') {
          if (!seeded) source.minutes.load(ts)
          else source.minutes.merge({ ...ts, ...lastMinutesOf(ts, 3, Math.floor(now / 60_000) * 60) })
          seeded = true
          source.showHistory(undefined)
        } else source.showHistory(ts)
        setError(undefined)
      } catch (err) {
        if ((err as Error).name !== 'AbortError') setError((err as Error).message)
      }
      try {
        const s = await api.scoreSeries(entity.level, entity.id, now - r.ms, now, controller.signal)
        scores.current = { timesSec: s.timesSec, scores: s.maxScore }
        source.changed()
      } catch {
        scores.current = undefined // score history unavailable (ClickHouse down): no score band, the charts go on
      }
      // In live mode, closed minutes are corrected shortly after each minute ends.
      const wait = range === '1h' ? 60_000 - (Date.now() % 60_000) + SETTLE_MS : HISTORY_REFRESH_MS
      timer = setTimeout(load, wait)
    }
    void load()
    return () => {
      controller.abort()
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [api, entity, range, source, scores])

  // Alert intervals of this entity; redraw when alerts change.
  useEffect(() => alerts.subscribe(() => source.changed()), [alerts, source])
  const bands = useMemo<BandSource>(() => ({ alerts: () => alertBandsOf(alerts, entity, Date.now()), scores: () => scores.current }), [alerts, entity, scores])

  const charts = useMemo(() => {
    const base = (title: string, color: string, unit: (v: number) => string): Omit<uPlot.Options, 'width' | 'height'> => ({
      title,
      legend: { show: true, live: true },
      cursor: { sync: { key: `entity-${entity.level}-${entity.id}` }, drag: { x: false, y: false } },
      scales: { x: { time: true, range: (_u: uPlot, min: number, max: number) => xRange(min, max, range) } },
      // Short tick labels, at least 64 px apart: the chart column is 430 px wide.
      axes: [{ space: 64, values: (u: uPlot, vals: number[]) => formatTimeTicks(vals, (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0)) }, { size: 56, values: (_u: uPlot, vals: number[]) => vals.map(unit) }],
      series: [{}, { label: title, stroke: color, fill: `${color}22`, width: 1.5, points: { show: false }, value: (_u: uPlot, v: number | null) => (v === null ? '—' : unit(v)) }],
      plugins: [bandsPlugin(bands)],
    })
    return [
      { key: 'spend', label: `Spend per minute of ${entity.level} ${entity.id}`, source: new ColumnSource(source, 1), options: base('Spend / min', '#2563eb', formatDollarsAxis) },
      { key: 'clicks', label: `Clicks per minute of ${entity.level} ${entity.id}`, source: new ColumnSource(source, 2), options: base('Clicks / min', '#059669', (v) => v.toFixed(0)) },
      { key: 'ctr', label: `CTR per minute of ${entity.level} ${entity.id}`, source: new ColumnSource(source, 3), options: base('CTR', '#d97706', (v) => `${v.toFixed(2)}%`) },
    ]
  }, [source, bands, entity, range])

  return (
    <div className="entity-charts">
      <div className="toolbar">
        <h2>
          <span className="muted small">{entity.level}</span> {entity.id}
        </h2>
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button key={r.id} type="button" aria-pressed={range === r.id} onClick={() => setRange(r.id)} title={r.label} aria-label={`Show ${r.label}`}>
              {r.id}
            </button>
          ))}
        </div>
      </div>
      {error !== undefined && <p className="error small">History unavailable: {error}</p>}
      {charts.map((c) => (
        <UPlotChart key={c.key} source={c.source} options={c.options} height={170} label={c.label} testId={`chart-${c.key}`} />
      ))}
      <p className="legend-note muted small">
        <span className="swatch firing" /> alert firing <span className="swatch pending" /> pending <span className="swatch score" /> detector score
      </p>
    </div>
  )
}

/** The x range shown: the whole selected range up to the newest point (one point alone still gets an hour). */
function xRange(min: number, max: number, range: RangeId): uPlot.Range.MinMax {
  const spanSec = RANGES.find((r) => r.id === range)!.ms / 1000
  if (!Number.isFinite(max)) {
    const now = Date.now() / 1000
    return [now - spanSec, now]
  }
  return [Math.min(min, max - spanSec + 60), max + 30]
}

/** The last `n` minutes of a series up to (not including) the current minute. */
function lastMinutesOf(ts: TimeSeriesDto, n: number, currentMinuteSec: number): Pick<TimeSeriesDto, 'timesSec' | 'spendMicros' | 'clicks' | 'impressions'> {
  const idx: number[] = []
  ts.timesSec.forEach((t, i) => {
    if (t < currentMinuteSec && t >= currentMinuteSec - n * 60) idx.push(i)
  })
  return { timesSec: idx.map((i) => ts.timesSec[i]!), spendMicros: idx.map((i) => ts.spendMicros[i]!), clicks: idx.map((i) => ts.clicks[i]!), impressions: idx.map((i) => ts.impressions[i]!) }
}
