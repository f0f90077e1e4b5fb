import { useVirtualizer } from '@tanstack/react-virtual'
import { memo, useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react'
import type { EntityRef } from '../../../gateway/socket-events.ts'
import { formatInt, formatMicros, formatMicrosCompact, formatPacing, formatPercent, formatRatio } from '../format.ts'
import type { AlertStore } from '../live/alert-store.ts'
import type { CampaignRow, OverviewStore } from '../live/overview-store.ts'
import { runSliced, type SlicedRun } from '../live/sliced-task.ts'
import { SORT_COLUMNS, tableItemsJob, type AccountTotals, type ItemCache, type SortColumn, type TableItem, type TableQuery } from '../live/table-model.ts'
import { useServices, useStoreVersion, useThrottledVersion } from '../services.tsx'
import { EntityCharts } from './entity-charts.tsx'
import { PacingBar } from './pacing-bar.tsx'

const ROW_PX = 34
/** The order of lines is recomputed at most this often while data streams (rows keep their values live). */
const REORDER_EVERY_MS = 1_000
/** While the reader scrolls (and this long after), lines keep their order: rows do not jump under the eye, and scrolling frames do not also re-order. */
const HOLD_ORDER_AFTER_SCROLL_MS = 1_500
/** The campaign and update counts in the toolbar are refreshed this often. */
const COUNTS_EVERY_MS = 500
/** Campaigns the socket does not watch (over the gateway's limit) are refreshed this often. */
const POLL_PARTIAL_MS = 15_000
const POLL_FULL_MS = 60_000
/** While the tenant has no campaign yet (a fresh stack), look again soon. */
const POLL_EMPTY_MS = 2_000

const COLUMN_TITLES: Record<SortColumn, string> = {
  name: 'Account ▸ campaign',
  spend: 'Spend today',
  pacing: 'Pacing',
  ctr: 'CTR',
  cpc: 'CPC',
  cpa: 'CPA',
  roas: 'ROAS',
  alerts: 'Alerts',
}

/** The live overview: accounts ▸ campaigns table (virtualised, sortable, filterable) and the selected entity's charts. */
export function OverviewView() {
  const { api, live, overview, alerts } = useServices()
  const [query, setQuery] = useState<TableQuery>({ sort: 'spend', descending: true, filter: '', collapsed: new Set() })
  const [selected, setSelected] = useState<EntityRef | undefined>()
  const [loadError, setLoadError] = useState<string | undefined>()
  const [loaded, setLoaded] = useState(overview.campaignCount > 0)

  // Load the lists now and refresh them: often while some campaigns are not live, else rarely.
  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const controller = new AbortController()
    const load = async () => {
      try {
        const t0 = Date.now()
        const accounts = await api.accounts(controller.signal)
        if (stopped) return
        overview.load([], accounts, t0)
        live.setInterest('accounts', 1, accounts.map((a) => ({ level: 'account', id: a.id })))
        // Each page goes into the store, and new campaigns onto the socket, as it arrives (one short task per page).
        const campaignIds = await api.campaignPages((page) => {
          overview.load(page, [], t0)
          live.addInterest('all-campaigns', 3, page.map((c) => ({ level: 'campaign', id: c.id })))
        }, controller.signal)
        if (stopped) return
        setLoaded(true)
        setLoadError(undefined)
        // Pages added every campaign listed; campaigns no longer listed (no event for 7 days) are dropped.
        if (live.interestSize('all-campaigns') > campaignIds.length) live.setInterest('all-campaigns', 3, campaignIds.map((id) => ({ level: 'campaign', id })))
      } catch (err) {
        if (!stopped) setLoadError((err as Error).message)
      }
      if (stopped) return
      const everyoneLive = live.subscriptionCount >= overview.campaignCount
      timer = setTimeout(load, overview.campaignCount === 0 ? POLL_EMPTY_MS : everyoneLive ? POLL_FULL_MS : POLL_PARTIAL_MS)
    }
    void load()
    return () => {
      stopped = true
      controller.abort()
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [api, live, overview])

  const lastScrollAt = useRef(0)
  const ordered = useTableOrder(overview, alerts, query, lastScrollAt)
  const items = ordered?.items
  useEffect(() => {
    if (selected === undefined && items !== undefined) {
      const first = items.find((i) => i.kind === 'campaign')
      if (first !== undefined) setSelected({ level: 'campaign', id: first.id })
    }
  }, [items, selected])

  const sortBy = (col: SortColumn) =>
    setQuery((q) => ({ ...q, sort: col, descending: q.sort === col ? !q.descending : col !== 'name' }))
  const toggle = useCallback((account: string) => {
    setQuery((q) => {
      const collapsed = new Set(q.collapsed)
      if (collapsed.has(account)) collapsed.delete(account)
      else collapsed.add(account)
      return { ...q, collapsed }
    })
  }, [])

  const accountCount = useMemo(() => (items ?? []).reduce((n, i) => n + (i.kind === 'account' ? 1 : 0), 0), [items])
  return (
    <div className="overview">
      <section className="panel table-panel" aria-labelledby="campaigns-title">
        <div className="toolbar">
          <h2 id="campaigns-title">Campaigns</h2>
          <input
            type="search"
            className="filter"
            aria-label="Filter accounts and campaigns"
            placeholder="Filter by id or name"
            value={query.filter}
            onChange={(e) => setQuery((q) => ({ ...q, filter: e.target.value }))}
          />
          <CountLabel accounts={accountCount} />
        </div>
        {loadError !== undefined && (
          <p className="error" role="alert">
            Could not load campaigns: {loadError}
          </p>
        )}
        <CampaignTable items={items ?? NO_ITEMS} order={ordered?.order} lastScrollAt={lastScrollAt} query={query} onSort={sortBy} onToggle={toggle} selected={selected} onSelect={setSelected} loaded={loaded && items !== undefined} />
      </section>
      <section className="panel chart-panel" aria-label="Charts">
        {selected === undefined ? <p className="muted">Select an account or campaign to see its charts.</p> : <MemoCharts entity={selected} />}
      </section>
    </div>
  )
}

const NO_ITEMS: readonly TableItem[] = []

/** Lines and the order they are in (`spend-desc`), which the table shows as `data-order` (tests wait for it). */
interface Ordered {
  readonly items: readonly TableItem[]
  readonly order: string
}

/**
 * The table's lines, ordered off the hot path: a sliced job (`tableItemsJob`, ≤ 4 ms a task)
 * runs at once when the query changes, and while data streams at most once a second (values
 * in the rows stay live in between). Undefined until the first ordering is done.
 */
function useTableOrder(overview: OverviewStore, alerts: AlertStore, query: TableQuery, lastScrollAt: { readonly current: number }): Ordered | undefined {
  const [items, setItems] = useState<Ordered | undefined>()
  const cache = useRef<ItemCache>(new Map())
  useEffect(() => {
    let run: SlicedRun | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    let lastAt = 0
    let dirty = false
    let disposed = false
    const start = () => {
      timer = undefined
      const held = HOLD_ORDER_AFTER_SCROLL_MS - (Date.now() - lastScrollAt.current)
      if (held > 0 && lastAt > 0) {
        timer = setTimeout(start, held)
        return
      }
      dirty = false
      lastAt = Date.now()
      run = runSliced(tableItemsJob(overview, query, alerts.openCountByEntity(), cache.current), (next) => {
        setItems({ items: next, order: `${query.sort}-${query.descending ? 'desc' : 'asc'}` })
        // Changes that came while it ran are ordered in the next round.
        if (dirty) setTimeout(schedule)
      })
    }
    const schedule = () => {
      if (disposed) return
      dirty = true
      if (timer !== undefined || run?.running === true) return
      timer = setTimeout(start, Math.max(0, REORDER_EVERY_MS - (Date.now() - lastAt)))
    }
    start()
    const offData = overview.subscribe(schedule)
    const offAlerts = alerts.subscribe(schedule)
    return () => {
      disposed = true
      offData()
      offAlerts()
      run?.cancel()
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [overview, alerts, query, lastScrollAt])
  return items
}

/** "5,000 campaigns · 50 accounts · 5,050 live", refreshed twice a second (not once per frame). */
function CountLabel({ accounts }: { accounts: number }) {
  const { overview, live } = useServices()
  useThrottledVersion(overview, COUNTS_EVERY_MS)
  const campaigns = overview.campaignCount
  return (
    <span className="muted small" data-testid="campaign-count" data-count={campaigns} data-live={live.subscriptionCount} data-updates={overview.updatesApplied} data-sync-failures={live.syncFailures}>
      {formatInt(campaigns)} campaigns · {formatInt(accounts)} accounts · {formatInt(live.subscriptionCount)} live
    </span>
  )
}

/** The charts re-render only when the selection changes (they follow their data themselves). */
const MemoCharts = memo(EntityCharts)

interface CampaignTableProps {
  readonly items: readonly TableItem[]
  readonly order: string | undefined
  /** When the reader last scrolled the rows (epoch ms; the re-ordering holds meanwhile). */
  readonly lastScrollAt: { current: number }
  readonly query: TableQuery
  readonly onSort: (col: SortColumn) => void
  readonly onToggle: (account: string) => void
  readonly selected: EntityRef | undefined
  readonly onSelect: (e: EntityRef) => void
  readonly loaded: boolean
}

function CampaignTable({ items, order, lastScrollAt, query, onSort, onToggle, selected, onSelect, loaded }: CampaignTableProps) {
  const { overview, alerts, live } = useServices()
  useStoreVersion(alerts)
  // Re-rendered by a store change only when a row on screen changed (not for the 5,000 others).
  const [, rowsChanged] = useReducer((n: number) => n + 1, 0)
  const rendered = useRef(new Map<string, CampaignRow>())
  useEffect(
    () =>
      overview.subscribe(() => {
        for (const [id, row] of rendered.current) {
          if (overview.campaign(id) !== row) return rowsChanged()
        }
      }),
    [overview],
  )
  const scroller = useRef<HTMLDivElement>(null)
  // No flushSync on scroll: rows render in React's next task, not inside the scroll event.
  const virtualizer = useVirtualizer({ count: items.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_PX, overscan: 3, useFlushSync: false })
  const virtualRows = virtualizer.getVirtualItems()

  // The rows on screen are watched live first (then every other campaign, within the gateway's limit).
  const first = virtualRows[0]?.index ?? 0
  const last = virtualRows[virtualRows.length - 1]?.index ?? -1
  useEffect(() => {
    const visible: EntityRef[] = []
    for (let i = first; i <= last; i++) {
      const it = items[i]
      if (it !== undefined) visible.push({ level: it.kind, id: it.id })
    }
    live.setInterest('visible', 2, visible)
  }, [first, last, items, live])

  const counts = alerts.openCountByEntity()
  const shown = new Map<string, CampaignRow>()
  rendered.current = shown
  return (
    <div className="table" role="table" aria-label="Accounts and campaigns" aria-rowcount={items.length + 1} data-order={order}>
      <div className="thead" role="rowgroup">
        <div className="tr" role="row">
          {SORT_COLUMNS.map((col) => (
            <div key={col} role="columnheader" className={`th col-${col}`} aria-sort={query.sort === col ? (query.descending ? 'descending' : 'ascending') : 'none'}>
              <button type="button" className="sort" onClick={() => onSort(col)} aria-label={`Sort by ${COLUMN_TITLES[col]}`}>
                {COLUMN_TITLES[col]}
                <span aria-hidden="true">{query.sort === col ? (query.descending ? ' ▾' : ' ▴') : ''}</span>
              </button>
            </div>
          ))}
        </div>
      </div>
      <div className="tbody" role="rowgroup" ref={scroller} data-testid="campaign-rows" onScroll={() => (lastScrollAt.current = Date.now())}>
        {!loaded && <p className="muted pad">Loading campaigns…</p>}
        {loaded && items.length === 0 && <p className="muted pad">No campaigns{query.filter !== '' ? ' match the filter' : ' with events in the last 7 days'}.</p>}
        {/* Its own layout root (contain: strict, explicit height): rows entering or leaving on scroll re-lay out only this box. */}
        <div className="rows" style={{ height: virtualizer.getTotalSize() }}>
          {virtualRows.map((v) => {
            const it = items[v.index]!
            if (it.kind === 'account') {
              return (
                <AccountLine
                  key={`a:${it.id}`}
                  totals={it.totals}
                  shown={it.shown}
                  collapsed={query.collapsed.has(it.id)}
                  onToggle={onToggle}
                  isSelected={selected?.level === 'account' && selected.id === it.id}
                  onSelect={onSelect}
                  top={v.start}
                  rowIndex={v.index + 2}
                />
              )
            }
            const row = overview.campaign(it.id)
            if (row === undefined) return null
            shown.set(it.id, row)
            return (
              <CampaignLine
                key={`c:${it.id}`}
                row={row}
                alerts={counts.get(`campaign:${it.id}`) ?? 0}
                isSelected={selected?.level === 'campaign' && selected.id === it.id}
                onSelect={onSelect}
                top={v.start}
                rowIndex={v.index + 2}
              />
            )
          })}
        </div>
      </div>
    </div>
  )
}

/** A virtual row's position (a primitive, so memoised rows skip rendering when only others change). */
function lineStyle(top: number) {
  return { transform: `translateY(${top}px)`, height: ROW_PX }
}

const CampaignLine = memo(function CampaignLine(props: { row: CampaignRow; alerts: number; isSelected: boolean; onSelect: (e: EntityRef) => void; top: number; rowIndex: number }) {
  const { row, alerts, isSelected, onSelect, top, rowIndex } = props
  const style = lineStyle(top)
  const t = row.today
  return (
    <div className="tr campaign" role="row" aria-rowindex={rowIndex} aria-selected={isSelected} style={style} data-campaign={row.id} data-spend={t.spendMicros}>
      <div role="cell" className="td col-name">
        <button type="button" className="link" onClick={() => onSelect({ level: 'campaign', id: row.id })} aria-label={`Show charts of campaign ${row.name ?? row.id}`}>
          {row.name ?? row.id}
        </button>
      </div>
      <div role="cell" className="td col-spend num">{formatMicrosCompact(t.spendMicros)}</div>
      <div role="cell" className="td col-pacing"><PacingBar pacing={row.pacing} /></div>
      <div role="cell" className="td col-ctr num">{formatPercent(t.ctr)}</div>
      <div role="cell" className="td col-cpc num">{formatMicrosCompact(t.cpcMicros)}</div>
      <div role="cell" className="td col-cpa num">{formatMicrosCompact(t.cpaMicros)}</div>
      <div role="cell" className="td col-roas num">{formatRatio(t.roas)}</div>
      <div role="cell" className="td col-alerts num">{alerts > 0 ? <span className="alert-count">{alerts}</span> : <span className="muted">0</span>}</div>
    </div>
  )
})

const AccountLine = memo(function AccountLine(props: {
  totals: AccountTotals
  shown: number
  collapsed: boolean
  onToggle: (id: string) => void
  isSelected: boolean
  onSelect: (e: EntityRef) => void
  top: number
  rowIndex: number
}) {
  const { totals: a, shown, collapsed, onToggle, isSelected, onSelect, top, rowIndex } = props
  const style = lineStyle(top)
  const pacing = a.budgetMicros === 0 ? null : a.today.spendMicros / a.budgetMicros
  return (
    <div className="tr account" role="row" aria-rowindex={rowIndex} aria-selected={isSelected} aria-expanded={!collapsed} style={style} data-account={a.id}>
      <div role="cell" className="td col-name">
        <button type="button" className="expander" onClick={() => onToggle(a.id)} aria-label={`${collapsed ? 'Expand' : 'Collapse'} account ${a.name ?? a.id}`}>
          {collapsed ? '▸' : '▾'}
        </button>
        <button type="button" className="link strong" onClick={() => onSelect({ level: 'account', id: a.id })} aria-label={`Show charts of account ${a.name ?? a.id}`}>
          {a.name ?? a.id}
        </button>
        <span className="muted small"> {shown === a.campaigns ? a.campaigns : `${shown} of ${a.campaigns}`}</span>
      </div>
      <div role="cell" className="td col-spend num strong">{formatMicrosCompact(a.today.spendMicros)}</div>
      <div role="cell" className="td col-pacing muted" title={pacing === null ? 'No campaign of this account has a daily budget' : `${formatPercent(pacing, 1)} of the campaigns' daily budgets (${formatMicros(a.budgetMicros)}) spent today`}>
        {pacing === null ? '—' : `${formatPacing(pacing)} of ${formatMicrosCompact(a.budgetMicros)}`}
      </div>
      <div role="cell" className="td col-ctr num">{formatPercent(a.today.ctr)}</div>
      <div role="cell" className="td col-cpc num">{formatMicrosCompact(a.today.cpcMicros)}</div>
      <div role="cell" className="td col-cpa num">{formatMicrosCompact(a.today.cpaMicros)}</div>
      <div role="cell" className="td col-roas num">{formatRatio(a.today.roas)}</div>
      <div role="cell" className="td col-alerts num">{a.openAlerts > 0 ? <span className="alert-count">{a.openAlerts}</span> : <span className="muted">0</span>}</div>
    </div>
  )
})
