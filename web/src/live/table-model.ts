import type { WindowMetrics } from '../../../gateway/api-types.ts'
import type { AccountRow, CampaignRow, OverviewStore } from './overview-store.ts'

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

/**
 * The table's lines: accounts in order, each followed (unless collapsed) by its matching
 * campaigns in order. Totals per account come from the account's own windows when the
 * gateway sent them, else from the sum of its campaigns. Pure; O(n log n) in campaigns.
 */
export function buildTableItems(store: Pick<OverviewStore, 'campaigns' | 'account'>, query: TableQuery, alerts: OpenAlertCounts): TableItem[] {
  const needle = query.filter.trim().toLowerCase()
  const byAccount = new Map<string, CampaignRow[]>()
  const all = new Map<string, CampaignRow[]>()
  for (const c of store.campaigns()) {
    let list = all.get(c.account)
    if (list === undefined) all.set(c.account, (list = []))
    list.push(c)
  }
  const totals: AccountTotals[] = []
  for (const [accountId, campaigns] of all) {
    const account = store.account(accountId)
    const t = totalsOf(accountId, account, campaigns, alerts)
    const accountMatches = needle === '' || matches(accountId, account?.name ?? null, needle)
    const shown = accountMatches ? campaigns : campaigns.filter((c) => matches(c.id, c.name, needle))
    if (shown.length === 0) continue
    byAccount.set(accountId, shown)
    totals.push(t)
  }
  const dir = query.descending ? -1 : 1
  totals.sort((a, b) => compareValues(accountKey(a, query.sort), accountKey(b, query.sort), dir) || a.id.localeCompare(b.id))
  const items: TableItem[] = []
  for (const t of totals) {
    const campaigns = byAccount.get(t.id)!
    items.push({ kind: 'account', id: t.id, totals: t, shown: campaigns.length })
    if (query.collapsed.has(t.id)) continue
    // Keys computed once per campaign, not once per comparison (this runs every second on 5,000 rows).
    const keyed = campaigns.map((c) => ({ c, k: campaignKey(c, query.sort, alerts) }))
    keyed.sort((a, b) => compareValues(a.k, b.k, dir) || (a.c.id < b.c.id ? -1 : a.c.id > b.c.id ? 1 : 0))
    for (const { c } of keyed) items.push({ kind: 'campaign', id: c.id, account: t.id })
  }
  return items
}

/** Nulls last in either direction. */
function compareValues(a: number | string | null, b: number | string | null, dir: number): number {
  if (a === b) return 0
  if (a === null) return 1
  if (b === null) return -1
  if (typeof a === 'string' || typeof b === 'string') return String(a).localeCompare(String(b)) * dir
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
    case 'alerts': return alerts.get(`campaign:${c.id}`) ?? 0
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

/** An account's totals: its own windows when known, else the sum of its campaigns. */
export function totalsOf(id: string, account: AccountRow | undefined, campaigns: readonly CampaignRow[], alerts: OpenAlertCounts): AccountTotals {
  let budgetMicros = 0
  let openAlerts = alerts.get(`account:${id}`) ?? 0
  const sum = { impressions: 0, clicks: 0, spendMicros: 0, conversions: 0, revenueMicros: 0 }
  for (const c of campaigns) {
    budgetMicros += c.pacing?.dailyBudgetMicros ?? 0
    openAlerts += alerts.get(`campaign:${c.id}`) ?? 0
    sum.impressions += c.today.impressions
    sum.clicks += c.today.clicks
    sum.spendMicros += c.today.spendMicros
    sum.conversions += c.today.conversions
    sum.revenueMicros += c.today.revenueMicros
  }
  return { id, name: account?.name ?? null, today: account?.today ?? withRatios(sum), campaigns: campaigns.length, budgetMicros, openAlerts }
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
