import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AlertEvent } from './alert-event.ts'
import type { Acknowledgement } from './alert.ts'
import { applyAlertEvent, sweepState } from './intake.ts'
import { buildAlertPipeline } from './pipeline.ts'
import type { Silence } from './silence.ts'
import { eventOf, MIN, routingOf, SEC, T0 } from './testing/fixtures.ts'
import { emptyTenantState, TenantStateDraft } from './tenant-state.ts'

const H = 60 * MIN
/** group_wait 1 s, group_interval 30 s, repeat 4 h; ticks every second of fake time. */
const routing = routingOf(undefined, { groupWaitMs: SEC, groupIntervalMs: 30 * SEC, repeatIntervalMs: 4 * H })

interface Scenario {
  /** Events by the second they arrive. */
  readonly events: ReadonlyArray<[number, AlertEvent]>
  readonly untilSec: number
  readonly silences?: readonly Silence[]
  /** Acknowledgements taking effect at a second. */
  readonly acks?: ReadonlyArray<[number, Acknowledgement]>
  readonly stepSec?: number
}

/** Runs the pipeline each (fake) second like the tenant worker; returns "sec:entity:status:reason" per notified alert. */
async function simulate(s: Scenario): Promise<string[]> {
  const state = emptyTenantState()
  const pipeline = buildAlertPipeline()
  const out: string[] = []
  const step = s.stepSec ?? 1
  for (let sec = 0; sec <= s.untilSec; sec += step) {
    const nowMs = T0 + sec * SEC
    for (const [at, ack] of s.acks ?? []) if (at === sec) state.acks.set(ack.fingerprint, ack)
    const draft = new TenantStateDraft(state)
    for (const [at, e] of s.events) if (at === sec) applyAlertEvent(draft, e)
    const ctx = { nowMs, tenant: 'acme', routing, silences: s.silences ?? [], state: draft, outbox: [] as Array<{ alerts: ReadonlyArray<{ entity: string; status: string; reason: string }> }> }
    await pipeline.run(ctx as never, [...draft.alerts()])
    sweepState(draft, routing)
    draft.apply()
    for (const n of ctx.outbox) for (const a of n.alerts) out.push(`${sec}:${a.entity}:${a.status}:${a.reason}`)
  }
  return out
}

const fire = (entity: string, sec: number) => eventOf('firing', { entity, atMs: T0 + sec * SEC, startsAtMs: T0 + sec * SEC })
const resolve = (entity: string, startSec: number, sec: number) => eventOf('resolved', { entity, atMs: T0 + sec * SEC, startsAtMs: T0 + startSec * SEC, endsAtMs: T0 + sec * SEC })

test('a spike notifies once per alert after group_wait and resolves once after it clears', async () => {
  const got = await simulate({ events: [[0, fire('c1', 0)], [0, fire('c2', 0)], [120, resolve('c1', 0, 120)], [120, resolve('c2', 0, 120)]], untilSec: 300 })
  // group_wait 1 s: both in one group at 1 s; the resolves at the next tick (group_interval long over).
  assert.deepEqual(got, ['1:c1:firing:new', '1:c2:firing:new', '120:c1:resolved:resolved', '120:c2:resolved:resolved'])
})

test('table: timing through the whole pipeline', async () => {
  const ackC1 = (startSec: number): Acknowledgement => ({ fingerprint: eventOf('firing', { entity: 'c1' }).fingerprint, startsAtMs: T0 + startSec * SEC, author: 'ana', comment: '', atMs: T0 })
  const silenceAll = (fromSec: number, toSec: number): Silence => ({ id: 's', matchers: [{ name: 'alertname', op: '=', value: 'high-cpc' }], startsAtMs: T0 + fromSec * SEC, endsAtMs: T0 + toSec * SEC, author: 'ana', comment: '', createdAtMs: T0, updatedAtMs: T0 })
  const cases: Array<[string, Scenario, string[]]> = [
    // Resolved within group_wait: never announced, so no resolve either.
    ['flap inside group_wait', { events: [[0, fire('c1', 0)], [0, resolve('c1', 0, 0)]], untilSec: 60 }, []],
    // A second alert joining after the first flush waits group_interval (30 s) from that flush.
    ['group_interval for a late joiner', { events: [[0, fire('c1', 0)], [5, fire('c2', 5)]], untilSec: 60 }, ['1:c1:firing:new', '31:c2:firing:new']],
    // Still firing after repeat_interval (4 h): one reminder, then every 4 h.
    ['repeat interval', { events: [[0, fire('c1', 0)]], untilSec: 8 * 3600 + 2, stepSec: 1 }, ['1:c1:firing:new', '14401:c1:firing:repeat', '28801:c1:firing:repeat']],
    // Acknowledged after the first notification: no reminders, but the resolve still goes out, at
    // the group's next flush (its muted reminders keep it flushing every 30 s from 14401 s: 20011 s).
    ['acknowledgement stops repeats until resolved', { events: [[0, fire('c1', 0)], [20000, resolve('c1', 0, 20000)]], acks: [[10, ackC1(0)]], untilSec: 20040 }, ['1:c1:firing:new', '20011:c1:resolved:resolved']],
    // Silenced from before it fired until after it resolved: no notification at all (history still has it).
    ['silence in between', { events: [[0, fire('c1', 0)], [100, resolve('c1', 0, 100)]], silences: [silenceAll(-10, 200)], untilSec: 300 }, []],
    // The silence expires by itself at 50 s while the alert still fires: announced at the next group flush.
    ['silence expiry', { events: [[0, fire('c1', 0)]], silences: [silenceAll(-10, 50)], untilSec: 100 }, ['61:c1:firing:new']],
    // Silenced after the trigger went out: the resolve is held while the silence lasts (to 500 s),
    // then sent at the group's next flush (its held resolve kept it flushing every 30 s from
    // 100 s: 520 s), so the incident closes.
    ['silence between trigger and resolve', { events: [[0, fire('c1', 0)], [100, resolve('c1', 0, 100)]], silences: [silenceAll(10, 500)], untilSec: 600 }, ['1:c1:firing:new', '520:c1:resolved:resolved']],
    // Pending alerts never notify; a cancelled one leaves no trace.
    ['pending and cancelled', { events: [[0, eventOf('pending', { entity: 'c1' })], [30, eventOf('cancelled', { entity: 'c1', atMs: T0 + 30 * SEC })]], untilSec: 60 }, []],
    // A new episode after a resolve is a new notification; its group was emptied and swept, so
    // it is a new group that waits group_wait again (101 s).
    ['new episode', { events: [[0, fire('c1', 0)], [40, resolve('c1', 0, 40)], [100, fire('c1', 100)]], untilSec: 200 }, ['1:c1:firing:new', '40:c1:resolved:resolved', '101:c1:firing:new']],
  ]
  for (const [name, scenario, expected] of cases) assert.deepEqual(await simulate(scenario), expected, name)
})

test('inhibition down the hierarchy through the pipeline', async () => {
  const account = eventOf('firing', { sourceId: 'spend', level: 'account', entity: 'act_1', campaign: '' })
  const campaign = eventOf('firing', { sourceId: 'spend', level: 'campaign', entity: 'cmp_1' })
  const got = await simulate({ events: [[0, account], [0, campaign]], untilSec: 5 })
  assert.deepEqual(got, ['1:act_1:firing:new'], 'the campaign alert of the same rule is muted by the account alert')
})
