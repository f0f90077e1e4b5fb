import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AlertEvent } from './alert-event.ts'
import type { Alert } from './alert.ts'
import { applyAlertEvent, sweepState } from './intake.ts'
import { needsNotification } from './stages/dedup-stage.ts'
import { alertOf, eventOf, MIN, routingOf, T0 } from './testing/fixtures.ts'
import { emptyTenantState, TenantStateDraft } from './tenant-state.ts'

const announced = { status: 'firing' as const, startsAtMs: T0, atMs: T0 }

/** Applies events to a state holding `live`; returns the alert afterwards (status or "gone"). */
function after(live: Alert | undefined, ...events: AlertEvent[]): string {
  const state = emptyTenantState()
  if (live !== undefined) state.alerts.set(live.fingerprint, live)
  const draft = new TenantStateDraft(state)
  for (const e of events) applyAlertEvent(draft, e)
  const a = draft.alert(eventOf('firing').fingerprint)
  return a === undefined ? 'gone' : `${a.status}${a.announced ? '+announced' : ''}`
}

test('table: events applied to live alerts', () => {
  const cases: Array<[string, Alert | undefined, AlertEvent[], string]> = [
    ['firing creates the alert', undefined, [eventOf('firing')], 'firing'],
    // The announcement survives a refreshed firing event of the same episode.
    ['firing keeps what was announced', alertOf({ announced }), [eventOf('firing', { atMs: T0 + 1 })], 'firing+announced'],
    // Resolve of an announced alert: kept until its resolve is sent.
    ['resolve of an announced alert', alertOf({ announced }), [eventOf('resolved', { atMs: T0 + MIN })], 'resolved+announced'],
    // Resolve of an alert never announced (still in group_wait): nothing to tell, dropped.
    ['resolve of an unannounced alert', alertOf(), [eventOf('resolved', { atMs: T0 + MIN })], 'gone'],
    ['resolve of an unknown alert', undefined, [eventOf('resolved')], 'gone'],
    ['pending shows the alert', undefined, [eventOf('pending')], 'pending'],
    ['cancelled removes a pending alert', undefined, [eventOf('pending'), eventOf('cancelled', { atMs: T0 + 1 })], 'gone'],
    // A pending next episode must not swallow the resolve still to be sent.
    ['pending keeps an unsent resolve', alertOf({ status: 'resolved', announced }), [eventOf('pending', { atMs: T0 + MIN })], 'resolved+announced'],
    // A flap: episode 1 announced and resolved, its resolve not sent yet (silenced, or within
    // group_interval); episode 2 fires and resolves before its own trigger is sent. The resolve
    // must still go out, for the episode receivers know.
    ['a flap keeps the unsent resolve of the announced episode', alertOf({ status: 'resolved', announced }), [eventOf('firing', { atMs: T0 + MIN, startsAtMs: T0 + MIN }), eventOf('resolved', { atMs: T0 + 2 * MIN })], 'resolved+announced'],
    // An event older than the stored one is ignored (e.g. a late duplicate).
    ['stale events are ignored', alertOf({ announced, updatedAtMs: T0 + MIN }), [eventOf('resolved', { atMs: T0 })], 'firing+announced'],
  ]
  for (const [name, live, events, expected] of cases) assert.equal(after(live, ...events), expected, name)
})

test('the resolve after a flap is announced for the episode receivers know, and the dedup stage sends it', () => {
  const state = emptyTenantState()
  const live = alertOf({ status: 'resolved', announced })
  state.alerts.set(live.fingerprint, live)
  const draft = new TenantStateDraft(state)
  applyAlertEvent(draft, eventOf('firing', { atMs: T0 + MIN, startsAtMs: T0 + MIN }))
  applyAlertEvent(draft, eventOf('resolved', { atMs: T0 + 2 * MIN, endsAtMs: T0 + 2 * MIN }))
  const a = draft.alert(live.fingerprint)!
  assert.equal(a.startsAtMs, T0, 'the announced episode')
  assert.equal(a.endsAtMs, T0 + 2 * MIN)
  assert.equal(needsNotification(a, T0 + 3 * MIN, 4 * 3_600_000), 'resolved')
})

test('resolving drops the acknowledgement; the sweep drops resolves routed nowhere and empty groups', () => {
  const a = alertOf({ announced })
  const state = emptyTenantState()
  state.alerts.set(a.fingerprint, a)
  state.acks.set(a.fingerprint, { fingerprint: a.fingerprint, startsAtMs: T0, author: 'ana', comment: '', atMs: T0 })
  state.groups.set('{alertname="x",account="act_9"}', { key: '{alertname="x",account="act_9"}', labels: {}, createdAtMs: T0, lastFlushMs: T0 })
  const draft = new TenantStateDraft(state)
  applyAlertEvent(draft, eventOf('resolved', { atMs: T0 + MIN, endsAtMs: T0 + MIN }))
  assert.deepEqual([...draft.changes().deletedAcks], [a.fingerprint])
  // Routed to the log receiver: the resolve is kept until it is announced.
  sweepState(draft, routingOf())
  assert.equal(draft.alert(a.fingerprint)?.status, 'resolved')
  assert.equal(draft.group('{alertname="x",account="act_9"}'), undefined, 'a group without alerts is swept')
  // The routing changed and sends it nowhere: nothing will announce it, so it goes.
  sweepState(draft, routingOf({ receivers: [], route: {} }))
  assert.equal(draft.alert(a.fingerprint), undefined)
})
