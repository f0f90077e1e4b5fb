import type { WindowMetrics } from '../../../gateway/api-types.ts'
import type { CampaignRow, OverviewStore } from './overview-store.ts'
import { sortIndices } from './sliced-sort.ts'
import { runToEnd, type SlicedJob } from './sliced-task.ts'

/** Columns the overview can be sorted by. */
export const SORT_COLUMNS = ['name', 'spend', 'pacing', 'ctr', 'cpc', 'cpa', 'roas', 'alerts'] as const
export type SortColumn = (typeof SORT_COLUMNS)[number]

/** How the table is ordered and filtered, and which accounts are collapsed. */
export interface TableQuery {
  readonly sort: SortColumn
  readonly descending: boolean
  /** Case-insensitive substring of a campaign's or account's id or name. */
  readonly filter: string
  readonly collapsed: ReadonlySet<string>
}

/** An account's totals over its campaigns, beside its own windows. */
export interface AccountTotals {
  readonly id: string
  readonly name: string | null
  readonly today: WindowMetrics
  readonly campaigns: number
  readonly budgetMicros: number
  readonly openAlerts: number
}

/** One line of the virtualised table. */
export type TableItem =
  | { readonly kind: 'account'; readonly id: string; readonly totals: AccountTotals; readonly shown: number }
  | { readonly kind: 'campaign'; readonly id: string; readonly account: string }

/** Open alerts per entity, keyed `level:id`. */
export type OpenAlertCounts = ReadonlyMap<string, number>

/** Campaign lines by id, kept between orderings so an unchanged line is the same object (no garbage per re-order). */
export type ItemCache = Map<string, TableItem & { readonly kind: 'campaign' }>

interface AccountGroup {
  readonly id: string
  readonly rows: CampaignRow[]
  readonly matches: boolean
  campaigns: number
  budgetMicros: number
  openAlerts: number
  impressions: number
  clicks: number
  spendMicros: number
  conversions: number
  revenueMicros: number
}

/** Rows visited between two yields of the ordering job. */
const ROWS_PER_YIELD = 256
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

/**
 * The table's lines: accounts in order, each followed (unless collapsed) by its matching
 * campaigns in order. Totals per account come from the account's own windows when the
 * gateway sent them, else from the sum of its campaigns. Pure; O(n log n) in campaigns, all
 * at once (tests, small tables); the overview runs `tableItemsJob` in slices instead.
 */
export function buildTableItems(store: Pick<OverviewStore, 'campaigns' | 'account'>, query: TableQuery, alerts: OpenAlertCounts, cache?: ItemCache): TableItem[] {
  return runToEnd(tableItemsJob(store, query, alerts, cache))
}

/**
 * `buildTableItems` as a sliced job: it yields every few hundred rows (one pass to group and
 * total, one to key, merge sorts of index arrays), so ordering 5,000 campaigns never holds
 * the main thread for long. The store may change between slices (a row read later may be
 * newer); Map iteration stays valid while rows are replaced.
 */
export function* tableItemsJob(store: Pick<OverviewStore, 'campaigns' | 'account'>, query: TableQuery, alerts: OpenAlertCounts, cache?: ItemCache): SlicedJob<TableItem[]> {
  const needle = query.filter.trim().toLowerCase()
  const groups = new Map<string, AccountGroup>()
  const countAlerts = alerts.size > 0
  let visited = 0
  for (const c of store.campaigns()) {
    let g = groups.get(c.account)
    if (g === undefined) {
      const matchesAccount = needle === '' || matches(c.account, store.account(c.account)?.name ?? null, needle)
      g = { id: c.account, rows: [], matches: matchesAccount, campaigns: 0, budgetMicros: 0, openAlerts: countAlerts ? (alerts.get(`account:${c.account}`) ?? 0) : 0, impressions: 0, clicks: 0, spendMicros: 0, conversions: 0, revenueMicros: 0 }
      groups.set(c.account, g)
    }
    g.campaigns++
    g.budgetMicros += c.pacing?.dailyBudgetMicros ?? 0
    if (countAlerts) g.openAlerts += alerts.get(`campaign:${c.id}`) ?? 0
    const t = c.today
    g.impressions += t.impressions
    g.clicks += t.clicks
    g.spendMicros += t.spendMicros
    g.conversions += t.conversions
    g.revenueMicros += t.revenueMicros
    if (g.matches || matches(c.id, c.name, needle)) g.rows.push(c)
    if (++visited % ROWS_PER_YIELD === 0) yield
  }
  const totals: AccountTotals[] = []
  for (const g of groups.values()) {
    if (g.rows.length === 0) continue
    const account = store.account(g.id)
    totals.push({ id: g.id, name: account?.name ?? null, today: account?.today ?? withRatios(g), campaigns: g.campaigns, budgetMicros: g.budgetMicros, openAlerts: g.openAlerts })
  }
  const dir = query.descending ? -1 : 1
  totals.sort((a, b) => compareValues(accountKey(a, query.sort), accountKey(b, query.sort), dir) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const items: TableItem[] = []
  for (const t of totals) {
    const rows = groups.get(t.id)!.rows
    items.push({ kind: 'account', id: t.id, totals: t, shown: rows.length })
    if (query.collapsed.has(t.id)) continue
    const order = yield* orderRows(rows, query.sort, dir, alerts)
    for (let i = 0; i < order.length; i++) {
      const c = rows[order[i]!]!
      let item = cache?.get(c.id)
      if (item === undefined || item.account !== t.id) {
        item = { kind: 'campaign', id: c.id, account: t.id }
        cache?.set(c.id, item)
      }
      items.push(item)
      if (i % ROWS_PER_YIELD === ROWS_PER_YIELD - 1) yield
    }
  }
  return items
}

/** The order of an account's rows: keys read once per row, then a sliced stable sort of indices (ties by id). */
function* orderRows(rows: readonly CampaignRow[], col: SortColumn, dir: number, alerts: OpenAlertCounts): SlicedJob<Int32Array> {
  const n = rows.length
  const byId = (a: number, b: number) => (rows[a]!.id < rows[b]!.id ? -1 : 1)
  if (col === 'name') {
    const keys = rows.map((c) => c.name ?? c.id)
    yield
    return yield* sortIndices(n, (a, b) => collator.compare(keys[a]!, keys[b]!) * dir || byId(a, b))
  }
  // Numbers, NaN for null (sorted last in either direction).
  const keys = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const k = campaignKey(rows[i]!, col, alerts)
    keys[i] = k === null ? Number.NaN : (k as number)
    if (i % ROWS_PER_YIELD === ROWS_PER_YIELD - 1) yield
  }
  return yield* sortIndices(n, (a, b) => {
    const ka = keys[a]!
    const kb = keys[b]!
    if (ka !== ka) return kb !== kb ? byId(a, b) : 1
    if (kb !== kb) return -1
    return ka === kb ? byId(a, b) : (ka - kb) * dir
  })
}

/** Nulls last in either direction. */
function compareValues(a: number | string | null, b: number | string | null, dir: number): number {
  if (a === b) return 0
  if (a === null) return 1
  if (b === null) return -1
  if (typeof a === 'string' || typeof b === 'string') return collator.compare(String(a), String(b)) * dir
  return (a - b) * dir
}

function matches(id: string, name: string | null, needle: string): boolean {
  return id.toLowerCase().includes(needle) || (name !== null && name.toLowerCase().includes(needle))
}

function campaignKey(c: CampaignRow, col: SortColumn, alerts: OpenAlertCounts): number | string | null {
  switch (col) {
    case 'name': return c.name ?? c.id
    case 'spend': return c.today.spendMicros
    case 'pacing': return c.pacing?.pacing ?? null
    case 'ctr': return c.today.ctr
    case 'cpc': return c.today.cpcMicros
    case 'cpa': return c.today.cpaMicros
    case 'roas': return c.today.roas
    case 'alerts': return alerts.size === 0 ? 0 : (alerts.get(`campaign:${c.id}`) ?? 0)
  }
}

function accountKey(a: AccountTotals, col: SortColumn): number | string | null {
  switch (col) {
    case 'name': return a.name ?? a.id
    case 'spend': return a.today.spendMicros
    case 'pacing': return a.budgetMicros === 0 ? null : a.today.spendMicros / a.budgetMicros
    case 'ctr': return a.today.ctr
    case 'cpc': return a.today.cpcMicros
    case 'cpa': return a.today.cpaMicros
    case 'roas': return a.today.roas
    case 'alerts': return a.openAlerts
  }
}

/** Sums with their ratios (null when a denominator is 0), as the gateway computes them. */
export function withRatios(s: { impressions: number; clicks: number; spendMicros: number; conversions: number; revenueMicros: number }): WindowMetrics {
  const ratio = (a: number, b: number) => (b === 0 ? null : a / b)
  const cpm = ratio(s.spendMicros, s.impressions)
  return {
    ...s,
    ctr: ratio(s.clicks, s.impressions),
    cpcMicros: ratio(s.spendMicros, s.clicks),
    cpmMicros: cpm === null ? null : cpm * 1000,
    cpaMicros: ratio(s.spendMicros, s.conversions),
    roas: ratio(s.revenueMicros, s.spendMicros),
  }
}
