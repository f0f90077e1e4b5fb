import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type uPlot from 'uplot'
import type { BacktestResultDto, StoredRuleDto } from '../api/proposed-types.ts'
import { ApiError } from '../api/api-client.ts'
import { bandsPlugin, type TimeBand } from '../charts/bands-plugin.ts'
import { UPlotChart, type ChartSource } from '../charts/uplot-chart.tsx'
import { RuleEditor, type RuleEditorHandle } from '../editor/codemirror-rule-editor.tsx'
import { backtestSeries } from '../editor/backtest-series.ts'
import { diffLines } from '../editor/line-diff.ts'
import { checkRuleText, placeProblems, type RuleDiagnostic } from '../editor/rule-diagnostics.ts'
import { formatDateTime, formatDollarsAxis, formatMicros, formatTimeTicks } from '../format.ts'
import { useServices } from '../services.tsx'

const NEW_RULE = `{
  "id": "new-rule",
  "name": "Spend above $50 in 5 minutes",
  "level": "campaign",
  "severity": "warning",
  "for": "2m",
  "conditions": {
    "all": [
      { "fact": "spend_5m", "operator": "greaterThan", "value": 50 }
    ]
  }
}
`
const CHECK_DELAY_MS = 120
const BACKTEST_DAYS = [1, 3, 7, 14] as const

function pretty(rule: unknown): string {
  return `${JSON.stringify(rule, null, 2)}\n`
}

/**
 * The rule editor: the tenant's rules, a CodeMirror JSON editor that validates as you type
 * (the same validation the gateway runs on save, errors at their JSON paths), a backtest of
 * the draft over the last days, save as a new version, and the version list with diff and
 * restore.
 */
export function RulesView() {
  const { api, canEdit, live } = useServices()
  const [rules, setRules] = useState<readonly StoredRuleDto[]>([])
  const [listError, setListError] = useState<string | undefined>()
  const [selectedId, setSelectedId] = useState<string | undefined>()
  const [text, setText] = useState(NEW_RULE)
  const [diagnostics, setDiagnostics] = useState<readonly RuleDiagnostic[]>(() => checkRuleText(NEW_RULE).diagnostics)
  const [serverProblems, setServerProblems] = useState<readonly RuleDiagnostic[]>([])
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>()
  const [versions, setVersions] = useState<readonly StoredRuleDto[]>([])
  const [diffWith, setDiffWith] = useState<StoredRuleDto | undefined>()
  const [backtest, setBacktest] = useState<BacktestResultDto | undefined>()
  const [backtestState, setBacktestState] = useState<'idle' | 'running' | 'error'>('idle')
  const [backtestError, setBacktestError] = useState<string | undefined>()
  const [days, setDays] = useState<number>(1)
  const [saving, setSaving] = useState(false)
  const editor = useRef<RuleEditorHandle>(null)

  const loadRules = useCallback(async () => {
    try {
      const page = await api.rules()
      setRules(page.items)
      setListError(undefined)
    } catch (err) {
      setListError((err as Error).message)
    }
  }, [api])
  useEffect(() => {
    void loadRules()
    return live.onRuleChange(() => void loadRules())
  }, [loadRules, live])

  const loadVersions = useCallback(
    async (id: string) => {
      try {
        const page = await api.ruleVersions(id)
        setVersions([...page.items].sort((a, b) => b.version - a.version))
      } catch (err) {
        setVersions([])
        if (!(err instanceof ApiError && err.status === 404)) setMessage({ kind: 'error', text: `Versions unavailable: ${(err as Error).message}` })
      }
    },
    [api],
  )

  // Validation as you type, debounced; server problems are dropped once the text changes.
  useEffect(() => {
    const t = setTimeout(() => setDiagnostics(checkRuleText(text).diagnostics), CHECK_DELAY_MS)
    return () => clearTimeout(t)
  }, [text])
  const onChange = useCallback((t: string) => {
    setText(t)
    setServerProblems([])
  }, [])
  const allProblems = useMemo(() => [...diagnostics, ...serverProblems], [diagnostics, serverProblems])

  const open = (r: StoredRuleDto | undefined) => {
    const t = r === undefined ? NEW_RULE : pretty(r.rule)
    setSelectedId(r?.rule.id)
    editor.current?.setText(t)
    setText(t)
    setDiagnostics(checkRuleText(t).diagnostics)
    setBacktest(undefined)
    setBacktestState('idle')
    setDiffWith(undefined)
    setMessage(undefined)
    if (r !== undefined) void loadVersions(r.rule.id)
    else setVersions([])
  }

  const draft = (): { id: string; value: unknown } | undefined => {
    const check = checkRuleText(text)
    setDiagnostics(check.diagnostics)
    if (!check.parsed || check.diagnostics.length > 0) return undefined
    return { id: String((check.value as { id: unknown }).id), value: check.value }
  }

  const save = async () => {
    const d = draft()
    if (d === undefined) {
      setMessage({ kind: 'error', text: 'Fix the problems first.' })
      return
    }
    setSaving(true)
    try {
      const saved = await api.saveRule(d.id, d.value)
      setMessage({ kind: 'ok', text: `Saved ${saved.rule.id} as version ${saved.version}.` })
      setSelectedId(saved.rule.id)
      await Promise.all([loadRules(), loadVersions(saved.rule.id)])
    } catch (err) {
      const problems = (err as ApiError & { problems?: { path: string; message: string }[] }).problems
      if (err instanceof ApiError && err.field !== undefined) setServerProblems(placeProblems(text, [{ path: err.field, message: err.message }]))
      else if (problems !== undefined) setServerProblems(placeProblems(text, problems))
      setMessage({ kind: 'error', text: `Not saved: ${(err as Error).message}` })
    } finally {
      setSaving(false)
    }
  }

  const runBacktest = async () => {
    const d = draft()
    if (d === undefined) {
      setMessage({ kind: 'error', text: 'Fix the problems before a backtest.' })
      return
    }
    setBacktestState('running')
    setBacktestError(undefined)
    try {
      setBacktest(await api.backtest({ rule: d.value, days }))
      setBacktestState('idle')
    } catch (err) {
      setBacktestState('error')
      setBacktestError((err as Error).message)
    }
  }

  const restore = async (v: StoredRuleDto) => {
    try {
      const restored = await api.restoreRule(v.rule.id, v.version)
      setMessage({ kind: 'ok', text: `Restored version ${v.version} as version ${restored.version}.` })
      const t = pretty(restored.rule)
      editor.current?.setText(t)
      setText(t)
      setDiffWith(undefined)
      await Promise.all([loadRules(), loadVersions(v.rule.id)])
    } catch (err) {
      setMessage({ kind: 'error', text: `Not restored: ${(err as Error).message}` })
    }
  }

  const problemsOk = allProblems.length === 0
  return (
    <div className="rules">
      <aside className="panel rule-list" aria-labelledby="rules-title">
        <div className="toolbar">
          <h2 id="rules-title">Rules</h2>
          <button type="button" onClick={() => open(undefined)} aria-label="New rule">
            New
          </button>
        </div>
        {listError !== undefined && <p className="error small">Rules unavailable: {listError}</p>}
        <ul aria-label="Rules of this tenant">
          {rules.map((r) => (
            <li key={r.rule.id}>
              <button type="button" className="rule-item" aria-current={selectedId === r.rule.id ? 'true' : undefined} onClick={() => open(r)}>
                <span className={`pill sev-${r.rule.severity}`}>{r.rule.severity}</span> <strong>{r.rule.id}</strong>
                <span className="muted small block">
                  {r.rule.name} · v{r.version}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section className="panel rule-main" aria-label="Rule editor">
        <div className="toolbar">
          <h2>{selectedId ?? 'New rule'}</h2>
          <span className={`badge ${problemsOk ? 'ok' : 'bad'}`} role="status" data-testid="rule-status">
            {problemsOk ? 'valid' : `${allProblems.length} problem${allProblems.length === 1 ? '' : 's'}`}
          </span>
          <span className="grow" />
          <label className="inline">
            Backtest over{' '}
            <select aria-label="Backtest days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {BACKTEST_DAYS.map((d) => (
                <option key={d} value={d}>
                  {d} day{d === 1 ? '' : 's'}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={runBacktest} disabled={backtestState === 'running' || !problemsOk}>
            {backtestState === 'running' ? 'Running…' : 'Run backtest'}
          </button>
          <button type="button" className="primary" onClick={save} disabled={!canEdit || saving || !problemsOk} title={canEdit ? undefined : 'Saving needs the editor role'}>
            {saving ? 'Saving…' : 'Save as new version'}
          </button>
        </div>
        <RuleEditor ref={editor} initialText={NEW_RULE} diagnostics={allProblems} onChange={onChange} />
        {message !== undefined && (
          <p className={message.kind === 'ok' ? 'success' : 'error'} role={message.kind === 'ok' ? 'status' : 'alert'} data-testid="rule-message">
            {message.text}
          </p>
        )}
        <ul className="problems" aria-label="Problems" data-testid="rule-problems">
          {allProblems.map((p, i) => (
            <li key={`${p.path}-${i}`}>
              <button type="button" className="link" onClick={() => editor.current?.reveal(p.from, p.to)}>
                <code className="path">{p.path}</code> {p.message}
              </button>
            </li>
          ))}
        </ul>
        {backtestState === 'error' && (
          <p className="error" role="alert">
            Backtest failed: {backtestError}
          </p>
        )}
        {backtest !== undefined && <BacktestResult result={backtest} />}
      </section>
      <aside className="panel versions" aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        {versions.length === 0 && <p className="muted small">Saved versions of the open rule appear here.</p>}
        <ul aria-label="Versions">
          {versions.map((v) => (
            <li key={v.version} className="version">
              <span>
                <strong>v{v.version}</strong> <span className="muted small">{v.author} · {formatDateTime(v.savedAt)}</span>
              </span>
              <span className="actions">
                <button type="button" onClick={() => setDiffWith(diffWith?.version === v.version ? undefined : v)} aria-pressed={diffWith?.version === v.version} aria-label={`Compare version ${v.version} with the draft`}>
                  Diff
                </button>
                <button type="button" onClick={() => restore(v)} disabled={!canEdit || v.version === versions[0]?.version} aria-label={`Restore version ${v.version}`}>
                  Restore
                </button>
              </span>
            </li>
          ))}
        </ul>
        {diffWith !== undefined && <RuleDiff oldText={pretty(diffWith.rule)} newText={text} title={`v${diffWith.version} → draft`} />}
      </aside>
    </div>
  )
}

function RuleDiff({ oldText, newText, title }: { oldText: string; newText: string; title: string }) {
  const lines = useMemo(() => diffLines(oldText, newText), [oldText, newText])
  const changed = lines.some((l) => l.kind !== 'same')
  return (
    <figure className="diff" aria-label={`Diff ${title}`}>
      <figcaption className="muted small">{title}{changed ? '' : ' (no changes)'}</figcaption>
      <pre>
        {lines.map((l, i) => (
          <div key={i} className={`diff-${l.kind}`}>
            {l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '- ' : '  '}
            {l.text}
          </div>
        ))}
      </pre>
    </figure>
  )
}

/** The backtest's chart (when the draft would have fired, and the spend in those intervals) and its intervals. */
function BacktestResult({ result }: { result: BacktestResultDto }) {
  const source = useMemo<ChartSource>(() => {
    const s = backtestSeries(result)
    const data: uPlot.AlignedData = [s.timesSec, s.spend, s.firing]
    return { version: 1, data: () => data, subscribe: () => () => {} }
  }, [result])
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(() => {
    const bands: TimeBand[] = result.intervals.map((iv) => ({ fromSec: iv.startMs / 1000, toSec: (iv.endMs ?? result.toMs) / 1000, kind: 'firing' }))
    return {
      title: 'When the draft would have fired, and the spend in those intervals',
      scales: { x: { time: true }, firing: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(1, max)] } },
      axes: [{ space: 64, values: (u: uPlot, vals: number[]) => formatTimeTicks(vals, (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0)) }, { label: 'spend', size: 60, values: (_u: uPlot, v: number[]) => v.map(formatDollarsAxis) }, { side: 1, scale: 'firing', label: 'firing', grid: { show: false } }],
      series: [
        {},
        { label: 'Spend while firing', stroke: '#2563eb', fill: '#2563eb22', points: { show: false } },
        { label: 'Entities firing', stroke: '#dc2626', scale: 'firing', points: { show: false } },
      ],
      plugins: [bandsPlugin({ alerts: () => bands, scores: () => undefined })],
    }
  }, [result])
  const t = result.totals
  const money = (dollars: number) => formatMicros(dollars * 1e6)
  return (
    <section className="backtest" aria-label="Backtest result" data-testid="backtest-result">
      <p className="small">
        <strong>{t.intervals}</strong> firing interval{t.intervals === 1 ? '' : 's'} on {t.entitiesFired} of {t.entities} entities between {formatDateTime(result.fromMs)} and{' '}
        {formatDateTime(result.toMs)}; {t.firingMinutes} firing minutes; spend in them {money(t.spendDuringIntervals)} of {money(t.spend)}.
        {result.truncated && ' (Only the first intervals are listed.)'}
        {result.unavailableFacts.length > 0 && ` Not known to a backtest (null): ${result.unavailableFacts.join(', ')}.`}
      </p>
      <UPlotChart source={source} options={options} height={180} label="Backtest chart" testId="backtest-chart" />
      {result.intervals.length > 0 && (
        <table className="grid compact" aria-label="Backtest intervals">
          <thead>
            <tr>
              <th scope="col">Entity</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Minutes</th>
              <th scope="col">Spend</th>
              <th scope="col">Peak values</th>
            </tr>
          </thead>
          <tbody>
            {result.intervals.slice(0, 50).map((iv, i) => (
              <tr key={`${iv.entity}-${i}`}>
                <td>{iv.entity}</td>
                <td>{formatDateTime(iv.startMs)}</td>
                <td>{iv.endMs === null ? 'still firing' : formatDateTime(iv.endMs)}</td>
                <td className="num">{iv.firingMinutes}</td>
                <td className="num">{money(iv.spend)}</td>
                <td className="explanation">
                  {Object.entries(iv.peaks)
                    .map(([k, v]) => `${k} ${v === null ? '—' : Number(v.toFixed(4))}`)
                    .join(', ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
