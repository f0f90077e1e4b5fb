import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Alert } from '../alert.ts'
import { alertOf, contextOf, MIN, T0 } from '../testing/fixtures.ts'
import { emptyTenantState, TenantStateDraft } from '../tenant-state.ts'
import { DedupStage, needsNotification } from './dedup-stage.ts'

const H = 60 * MIN
const REPEAT = 4 * H
const announcedFiring = { status: 'firing' as const, startsAtMs: T0, atMs: T0 + 1000 }

test('table: what needs a notification', () => {
  const cases: Array<[string, Alert, number, Alert['reason']]> = [
    // A firing episode nobody was told about yet.
    ['new firing alert', alertOf(), T0, 'new'],
    // Announced a second ago: nothing new.
    ['announced firing alert', alertOf({ announced: announcedFiring }), T0 + 2000, undefined],
    // Exactly repeat_interval after the announcement: a reminder.
    ['repeat interval elapsed', alertOf({ announced: announcedFiring }), T0 + 1000 + REPEAT, 'repeat'],
    ['repeat interval not yet elapsed', alertOf({ announced: announcedFiring }), T0 + REPEAT, undefined],
    // The announcement was of an earlier episode (other startsAt): this one is new.
    ['new episode of a known identity', alertOf({ startsAtMs: T0 + H, announced: announcedFiring }), T0 + H, 'new'],
    // The announced episode ended: its resolve is due.
    ['resolve of an announced alert', alertOf({ status: 'resolved', endsAtMs: T0 + H, announced: announcedFiring }), T0 + H, 'resolved'],
    // Never announced (resolved within group_wait, or muted all along): no resolve either.
    ['resolve of a never-announced alert', alertOf({ status: 'resolved', endsAtMs: T0 + H }), T0 + H, undefined],
    // Pending alerts are never notified.
    ['pending alert', alertOf({ status: 'pending' }), T0, undefined],
  ]
  for (const [name, alert, now, expected] of cases) assert.equal(needsNotification(alert, now, REPEAT), expected, name)
})

test('the stage keeps what needs a notification and says why', async () => {
  const ctx = contextOf(new TenantStateDraft(emptyTenantState()), T0 + 2000)
  const out = await new DedupStage().run(ctx, [alertOf({ entity: 'a' }), alertOf({ entity: 'b', announced: announcedFiring })])
  assert.deepEqual(out.map((a) => [a.entity, a.reason]), [['a', 'new']])
})
