import { useEffect, useMemo, useState, type FormEvent } from 'react'
import type { AlertTransitionDto } from '../../../gateway/api-types.ts'
import type { MatcherDto } from '../api/proposed-types.ts'
import { formatAgo, formatDateTime } from '../format.ts'
import type { AlertItem } from '../live/alert-store.ts'
import { useNow, useServices, useStoreVersion } from '../services.tsx'

type Tab = 'live' | 'history'

/** The alert feed: live (pending, firing and recently resolved) with acknowledge and silence, and the history. */
export function AlertsView() {
  const [tab, setTab] = useState<Tab>('live')
  return (
    <section className="panel alerts-panel" aria-labelledby="alerts-title">
      <div className="toolbar">
        <h2 id="alerts-title">Alerts</h2>
        <div className="segmented" role="tablist" aria-label="Alert lists">
          <button type="button" role="tab" aria-selected={tab === 'live'} onClick={() => setTab('live')}>
            Live
          </button>
          <button type="button" role="tab" aria-selected={tab === 'history'} onClick={() => setTab('history')}>
            History
          </button>
        </div>
      </div>
      {tab === 'live' ? <LiveAlerts /> : <AlertHistory />}
    </section>
  )
}

const STATE_ORDER: Record<string, number> = { firing: 0, pending: 1, resolved: 2 }
/** How far back the history tab reads. */
const HISTORY_MS = 7 * 86_400_000

function LiveAlerts() {
  const { alerts, canEdit } = useServices()
  const version = useStoreVersion(alerts)
  const now = useNow(5_000)
  const [filter, setFilter] = useState<'open' | 'all'>('open')
  const [silencing, setSilencing] = useState<AlertItem | undefined>()
  const list = useMemo(() => {
    const all = alerts.list().filter((a) => filter === 'all' || a.state !== 'resolved')
    return all.sort((a, b) => STATE_ORDER[a.state]! - STATE_ORDER[b.state]! || b.atMs - a.atMs)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [alerts, version, filter])
  return (
    <>
      <div className="toolbar sub">
        <label className="inline">
          <input type="checkbox" checked={filter === 'all'} onChange={(e) => setFilter(e.target.checked ? 'all' : 'open')} /> Show recently resolved
        </label>
        <span className="muted small">{list.length} shown</span>
      </div>
      <ul className="alert-feed" aria-label="Alert feed" data-testid="alert-feed">
        {list.length === 0 && <li className="muted pad">No open alerts.</li>}
        {list.map((a) => (
          <AlertCard key={a.fingerprint} alert={a} now={now} canEdit={canEdit} onSilence={() => setSilencing(a)} />
        ))}
      </ul>
      {silencing !== undefined && <SilenceDialog alert={silencing} onClose={() => setSilencing(undefined)} />}
    </>
  )
}

function AlertCard({ alert: a, now, canEdit, onSilence }: { alert: AlertItem; now: number; canEdit: boolean; onSilence: () => void }) {
  const { api, alerts, session } = useServices()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const acknowledge = async () => {
    setBusy(true)
    setError(undefined)
    try {
      const res = await api.acknowledge(a.fingerprint, 'acknowledged from the dashboard')
      alerts.acknowledged(a.fingerprint, res.acknowledgedBy ?? session.subject)
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <li className={`alert-card state-${a.state} sev-${a.severity}`} data-fingerprint={a.fingerprint} data-state={a.state} aria-label={`${a.state} ${a.severity} alert ${a.sourceId} on ${a.level} ${a.entity}`}>
      <div className="alert-head">
        <span className={`pill state-${a.state}`}>{a.state}</span>
        <span className={`pill sev-${a.severity}`}>{a.severity}</span>
        <strong className="alert-rule">{a.sourceId}</strong>
        <span className="muted">
          on {a.level} <span className="entity">{a.entity}</span>
        </span>
        <span className="muted small grow" title={formatDateTime(a.sinceMs)}>
          {a.state} since {formatAgo(a.sinceMs, now)}
        </span>
        {a.acknowledgedBy !== null && <span className="pill acked" data-testid="acked">acknowledged by {a.acknowledgedBy}</span>}
        {a.silenced && <span className="pill silenced">silenced</span>}
      </div>
      <p className="explanation">{a.explanation}</p>
      {canEdit && a.state !== 'resolved' && (
        <div className="actions">
          <button type="button" onClick={acknowledge} disabled={busy || a.acknowledgedBy !== null} aria-label={`Acknowledge ${a.sourceId} on ${a.entity}`}>
            {a.acknowledgedBy !== null ? 'Acknowledged' : busy ? 'Acknowledging…' : 'Acknowledge'}
          </button>
          <button type="button" onClick={onSilence} aria-label={`Silence ${a.sourceId} on ${a.entity}`}>
            Silence…
          </button>
        </div>
      )}
      {error !== undefined && (
        <p className="error small" role="alert">
          {error}
        </p>
      )}
    </li>
  )
}

/**
 * The matchers a silence of this alert starts with: its rule or detector (`alertname`), level
 * and entity (the labels alerts/alert.ts matches silences on), then the rule's own labels.
 */
export function prefilledMatchers(a: Pick<AlertItem, 'sourceId' | 'level' | 'entity' | 'labels'>): MatcherDto[] {
  const eq = (name: string, value: string): MatcherDto => ({ name, op: '=', value })
  const own = Object.entries(a.labels).filter(([k]) => !['alertname', 'level', 'entity', 'tenant'].includes(k))
  return [eq('alertname', a.labels.alertname ?? a.sourceId), eq('level', a.level), eq('entity', a.entity), ...own.map(([k, v]) => eq(k, v))]
}

const DURATIONS = [
  { label: '1 hour', ms: 3_600_000 },
  { label: '4 hours', ms: 4 * 3_600_000 },
  { label: '1 day', ms: 86_400_000 },
  { label: '1 week', ms: 7 * 86_400_000 },
]

function SilenceDialog({ alert: a, onClose }: { alert: AlertItem; onClose: () => void }) {
  const { api, alerts } = useServices()
  const [matchers, setMatchers] = useState(() => prefilledMatchers(a).map((m) => ({ ...m, enabled: true })))
  const [durationMs, setDurationMs] = useState(DURATIONS[0]!.ms)
  const [comment, setComment] = useState('')
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose()
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    try {
      const start = Date.now()
      await api.createSilence({
        matchers: matchers.filter((m) => m.enabled).map(({ enabled: _e, ...m }) => m),
        startsAt: new Date(start).toISOString(),
        endsAt: new Date(start + durationMs).toISOString(),
        comment: comment.trim() === '' ? `silenced from the dashboard (${a.sourceId} on ${a.entity})` : comment.trim(),
      })
      alerts.silenced([a.fingerprint])
      onClose()
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <div className="modal-backdrop">
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby="silence-title" onSubmit={submit}>
        <h3 id="silence-title">Silence alerts like {a.sourceId}</h3>
        <p className="muted small">Notifications of matching alerts stop until the silence ends; evaluation goes on.</p>
        <fieldset>
          <legend>Matchers</legend>
          {matchers.map((m, i) => (
            <div className="matcher" key={`${m.name}-${i}`}>
              <input type="checkbox" aria-label={`Use matcher ${m.name}`} checked={m.enabled} onChange={(e) => setMatchers((ms) => ms.map((x, j) => (j === i ? { ...x, enabled: e.target.checked } : x)))} />
              <code>{m.name}</code>
              <select aria-label={`Operator of ${m.name}`} value={m.op} onChange={(e) => setMatchers((ms) => ms.map((x, j) => (j === i ? { ...x, op: e.target.value as MatcherDto['op'] } : x)))}>
                {(['=', '!=', '=~', '!~'] as const).map((op) => (
                  <option key={op} value={op}>
                    {op}
                  </option>
                ))}
              </select>
              <input aria-label={`Value of ${m.name}`} value={m.value} onChange={(e) => setMatchers((ms) => ms.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))} />
            </div>
          ))}
        </fieldset>
        <label>
          Duration{' '}
          <select aria-label="Duration" value={durationMs} onChange={(e) => setDurationMs(Number(e.target.value))}>
            {DURATIONS.map((d) => (
              <option key={d.ms} value={d.ms}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Comment
          <input aria-label="Comment" value={comment} onChange={(e) => setComment(e.target.value)} placeholder="why, and who is on it" />
        </label>
        {error !== undefined && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !matchers.some((m) => m.enabled)}>
            Create silence
          </button>
        </div>
      </form>
    </div>
  )
}

/** Transitions of the last 7 days, newest first (`GET /alerts/history`), a page at a time. */
function AlertHistory() {
  const { api } = useServices()
  const [items, setItems] = useState<readonly AlertTransitionDto[] | undefined>()
  const [hasMore, setHasMore] = useState(false)
  const [offset, setOffset] = useState(0)
  const [error, setError] = useState<string | undefined>()
  const [toMs] = useState(() => Date.now())
  const PAGE = 50
  useEffect(() => {
    api
      .alertHistory({ fromMs: toMs - HISTORY_MS, toMs, limit: PAGE, offset })
      .then((p) => {
        setItems(p.items)
        setHasMore(p.hasMore)
        setError(undefined)
      })
      .catch((err: Error) => setError(err.message))
  }, [api, offset, toMs])
  return (
    <>
      {error !== undefined && (
        <p className="error" role="alert">
          History unavailable: {error}
        </p>
      )}
      <table className="grid" aria-label="Alert history">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Became</th>
            <th scope="col">Severity</th>
            <th scope="col">Rule or detector</th>
            <th scope="col">Entity</th>
            <th scope="col">Explanation</th>
          </tr>
        </thead>
        <tbody>
          {items !== undefined && items.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No alert transitions in the last 7 days.
              </td>
            </tr>
          )}
          {(items ?? []).map((t) => (
            <tr key={t.id} data-fingerprint={t.fingerprint}>
              <td title={t.at}>{formatDateTime(t.at)}</td>
              <td><span className={`pill state-${t.kind}`}>{t.kind}</span></td>
              <td><span className={`pill sev-${t.severity}`}>{t.severity}</span></td>
              <td>
                {t.sourceId} <span className="muted small">v{t.sourceVersion}</span>
              </td>
              <td>
                {t.level} <span className="entity">{t.entity}</span>
              </td>
              <td className="explanation">{t.explanation}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Newer
        </button>
        <span className="muted small">{items === undefined || items.length === 0 ? 'none' : `${offset + 1}–${offset + items.length}`}</span>
        <button type="button" disabled={!hasMore} onClick={() => setOffset(offset + PAGE)}>
          Older
        </button>
      </div>
    </>
  )
}
