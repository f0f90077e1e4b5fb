import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Alert } from '../alert.ts'
import { alertOf, contextOf, routingOf, SEC, T0 } from '../testing/fixtures.ts'
import { emptyTenantState, TenantStateDraft } from '../tenant-state.ts'
import { GroupStage, groupKeyOf } from './group-stage.ts'

/** group_wait 10 s, group_interval 60 s. */
const routing = routingOf(undefined, { groupWaitMs: 10 * SEC, groupIntervalMs: 60 * SEC, repeatIntervalMs: 3_600_000 })

/** Runs the stage at each time with the alerts offered then; returns "t:entities" per flush. */
async function run(steps: Array<[number, Alert[]]>): Promise<string[]> {
  const state = emptyTenantState()
  const stage = new GroupStage()
  const flushes: string[] = []
  for (const [t, alerts] of steps) {
    const draft = new TenantStateDraft(state)
    const out = await stage.run(contextOf(draft, T0 + t * SEC, routing), alerts)
    draft.apply()
    if (out.length > 0) flushes.push(`${t}:${out.map((a) => a.entity).sort().join(',')}`)
  }
  return flushes
}

const c1 = alertOf({ entity: 'c1' })
const c2 = alertOf({ entity: 'c2' })
const otherAccount = alertOf({ entity: 'c9', account: 'act_2', labels: { alertname: 'high-cpc', tenant: 'acme', level: 'campaign', entity: 'c9', account: 'act_2' } })
const otherRule = alertOf({ entity: 'c3', sourceId: 'low-ctr' })

test('table: grouping windows', async () => {
  const cases: Array<[string, Array<[number, Alert[]]>, string[]]> = [
    // A new group waits group_wait (10 s) and then sends what it gathered, together.
    ['group_wait gathers', [[0, [c1]], [5, [c1, c2]], [9, [c1, c2]], [10, [c1, c2]]], ['10:c1,c2']],
    // After a flush, a change waits group_interval (60 s) from that flush, not group_wait.
    ['group_interval after the first flush', [[0, [c1]], [10, [c1]], [20, [c2]], [69, [c2]], [70, [c2]]], ['10:c1', '70:c2']],
    // Rule + account is the default group: another account or another rule is another group with its own timer.
    ['separate groups by rule and account', [[0, [c1, otherAccount, otherRule]], [10, [c1, otherAccount, otherRule]]], ['10:c1,c3,c9']],
    // group_wait counts from the group's first alert, whenever the others come.
    ['late joiner rides along', [[0, [c1]], [9, [c1, c2]], [10, [c1, c2]]], ['10:c1,c2']],
  ]
  for (const [name, steps, expected] of cases) assert.deepEqual(await run(steps), expected, name)
})

test('group keys follow group_by and annotate each alert', async () => {
  assert.deepEqual(groupKeyOf({ alertname: 'high-cpc', account: 'act_1', entity: 'x' }, ['alertname', 'account']), { key: '{alertname="high-cpc",account="act_1"}', labels: { alertname: 'high-cpc', account: 'act_1' } })
  // A label the alert lacks groups as "".
  assert.equal(groupKeyOf({}, ['team']).key, '{team=""}')
  const draft = new TenantStateDraft(emptyTenantState())
  const out = await new GroupStage().run(contextOf(draft, T0, routingOf(undefined, { groupWaitMs: 0, groupIntervalMs: 1, repeatIntervalMs: 1 })), [c1])
  assert.equal(out[0]?.groupKey, '{alertname="high-cpc",account="act_1"}')
  assert.equal(draft.group('{alertname="high-cpc",account="act_1"}')?.lastFlushMs, T0, 'the flush time is kept for group_interval')
})
