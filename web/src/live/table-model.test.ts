import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CampaignDto, PacingDto, WindowMetrics } from '../../../gateway/api-types.ts'
import { OverviewStore } from './overview-store.ts'
import { buildTableItems, tableItemsJob, withRatios, type TableQuery } from './table-model.ts'

function m(spendMicros: number, clicks = 0, impressions = 0): WindowMetrics {
  return withRatios({ impressions, clicks, spendMicros, conversions: 0, revenueMicros: 0 })
}
function pacing(budget: number, spend: number, share: number): PacingDto {
  return { dailyBudgetMicros: budget, spendTodayMicros: spend, remainingMicros: budget - spend, dayElapsedShare: share, pacing: spend / (budget * share), projectedExhaustionAt: null, exhaustsToday: false }
}
function campaign(id: string, account: string, spend: number, name: string | null = null, p: PacingDto | null = null): CampaignDto {
  const w = m(spend, 10, 1000)
  return { id, account, name, dailyBudgetMicros: p?.dailyBudgetMicros ?? null, timeZone: 'UTC', today: '2026-11-21', windows: { '1m': w, '5m': w, '15m': w, '1h': w, today: w }, pacing: p }
}
const Q: TableQuery = { sort: 'spend', descending: true, filter: '', collapsed: new Set() }

function store() {
  const s = new OverviewStore()
  s.load(
    [
      campaign('c1', 'act_a', 5e6, 'Winter sale', pacing(100e6, 5e6, 0.5)),
      campaign('c2', 'act_a', 9e6, null, pacing(20e6, 9e6, 0.5)),
      campaign('c3', 'act_b', 50e6, 'Brand', pacing(100e6, 50e6, 0.5)),
      campaign('c4', 'act_b', 1e6),
    ],
    [],
    1000,
  )
  return s
}

test('accounts and their campaigns are ordered by the sort column, accounts by their totals', () => {
  const items = buildTableItems(store(), Q, new Map())
  assert.deepEqual(items.map((i) => `${i.kind}:${i.id}`), ['account:act_b', 'campaign:c3', 'campaign:c4', 'account:act_a', 'campaign:c2', 'campaign:c1'])
  const a = items[0]!
  assert.ok(a.kind === 'account')
  // No account windows were sent: totals are the campaigns' sums, budget of those with one.
  assert.equal(a.totals.today.spendMicros, 51e6)
  assert.equal(a.totals.budgetMicros, 100e6)
  assert.equal(a.totals.campaigns, 2)
})

test('pacing sorts with nulls last in both directions; alerts count per entity', () => {
  const s = store()
  // Account pacing is spend ÷ budgets: act_a 14/120 < act_b 51/100. Campaign pacing: c1 0.1, c2 0.9,
  // c3 1.0, c4 none (last).
  const asc = buildTableItems(s, { ...Q, sort: 'pacing', descending: false }, new Map()).map((i) => i.id)
  assert.deepEqual(asc, ['act_a', 'c1', 'c2', 'act_b', 'c3', 'c4'])
  const desc = buildTableItems(s, { ...Q, sort: 'pacing', descending: true }, new Map()).map((i) => i.id)
  assert.deepEqual(desc, ['act_b', 'c3', 'c4', 'act_a', 'c2', 'c1'])
  const alerts = new Map([['campaign:c1', 2]])
  const byAlerts = buildTableItems(s, { ...Q, sort: 'alerts' }, alerts)
  assert.equal(byAlerts[0]!.id, 'act_a', 'the account with open alerts first')
  assert.ok(byAlerts[0]!.kind === 'account' && byAlerts[0]!.totals.openAlerts === 2)
})

test('the filter matches ids and names; a matching account keeps all its campaigns; collapsed accounts hide theirs', () => {
  const s = store()
  assert.deepEqual(buildTableItems(s, { ...Q, filter: 'winter' }, new Map()).map((i) => i.id), ['act_a', 'c1'])
  assert.deepEqual(buildTableItems(s, { ...Q, filter: 'ACT_B' }, new Map()).map((i) => i.id), ['act_b', 'c3', 'c4'])
  assert.deepEqual(buildTableItems(s, { ...Q, collapsed: new Set(['act_b']) }, new Map()).map((i) => i.id), ['act_b', 'act_a', 'c2', 'c1'])
  assert.deepEqual(buildTableItems(s, { ...Q, filter: 'nothing' }, new Map()), [])
})

test('live updates replace rows (new objects) and are ignored when older than the row', () => {
  const s = store()
  const before = s.campaign('c1')!
  let notified = 0
  s.subscribe(() => notified++)
  const w = m(7e6)
  s.applyUpdates([{ level: 'campaign', id: 'c1', atMs: 2000, today: '2026-11-21', windows: { '1m': w, '5m': w, '15m': w, '1h': w, today: w }, pacing: null }])
  assert.notEqual(s.campaign('c1'), before)
  assert.equal(s.campaign('c1')!.today.spendMicros, 7e6)
  assert.equal(s.campaign('c1')!.name, 'Winter sale', 'kept from the listing')
  s.applyUpdates([{ level: 'campaign', id: 'c1', atMs: 1500, today: '2026-11-21', windows: { '1m': w, '5m': w, '15m': w, '1h': m(1), today: m(1) }, pacing: null }])
  assert.equal(s.campaign('c1')!.today.spendMicros, 7e6)
  assert.equal(notified, 1, 'a batch with nothing newer does not notify')
})

test('the sliced ordering job yields every few hundred rows and ends with the same lines; unchanged lines are reused', () => {
  const s = new OverviewStore()
  const rows = Array.from({ length: 3000 }, (_, i) => campaign(`c${i}`, `act_${i % 7}`, (i * 7919) % 3001, i % 3 === 0 ? null : `Campaign ${i}`))
  s.load(rows, [], 1000)
  const cache = new Map()
  const job = tableItemsJob(s, Q, new Map(), cache)
  let steps = 0
  let result
  for (;;) {
    const step = job.next()
    steps++
    if (step.done === true) {
      result = step.value
      break
    }
  }
  assert.ok(steps > 20, `${steps} slices`)
  assert.deepEqual(result.map((i) => i.id), buildTableItems(s, Q, new Map()).map((i) => i.id))
  const again = buildTableItems(s, { ...Q, sort: 'name', descending: false }, new Map(), cache)
  const line = again.find((i) => i.id === 'c5')
  assert.equal(line, result.find((i) => i.id === 'c5'), 'the same line object as before')
  // Names sort naturally (numeric parts as numbers), ids where there is no name.
  const ofAct1 = again.filter((i) => i.kind === 'campaign' && i.account === 'act_1').map((i) => i.id)
  assert.deepEqual(ofAct1.slice(0, 3), ['c15', 'c36', 'c57'], 'ids (c…) before names (Campaign …), numerically')
  assert.deepEqual(ofAct1.filter((id) => Number(id.slice(1)) % 3 !== 0).slice(0, 3), ['c1', 'c8', 'c22'], 'Campaign 8 before Campaign 22')
})
