import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Acknowledgement, Alert } from '../alert.ts'
import type { LabelMatcher } from '../matchers.ts'
import type { Silence } from '../silence.ts'
import { alertOf, contextOf, MIN, routingOf, T0 } from '../testing/fixtures.ts'
import { emptyTenantState, TenantStateDraft } from '../tenant-state.ts'
import { SilenceStage } from './silence-stage.ts'

function silence(matchers: LabelMatcher[], startsAtMs = T0 - MIN, endsAtMs = T0 + 60 * MIN): Silence {
  return { id: 's1', matchers, startsAtMs, endsAtMs, author: 'ana', comment: 'maintenance', createdAtMs: startsAtMs, updatedAtMs: startsAtMs }
}

async function passes(a: Alert, silences: Silence[], nowMs = T0, acks: Acknowledgement[] = []): Promise<boolean> {
  const state = emptyTenantState()
  for (const k of acks) state.acks.set(k.fingerprint, k)
  const out = await new SilenceStage().run(contextOf(new TenantStateDraft(state), nowMs, routingOf(), silences), [a])
  return out.length === 1
}

const alert = alertOf({ entity: 'cmp_42', severity: 'critical' })

test('table: silence matching', async () => {
  const cases: Array<[string, LabelMatcher[], boolean]> = [
    // = on the rule: muted.
    ['equal matches', [{ name: 'alertname', op: '=', value: 'high-cpc' }], false],
    ['equal on another value', [{ name: 'alertname', op: '=', value: 'low-ctr' }], true],
    // != holds for every other value.
    ['not-equal', [{ name: 'account', op: '!=', value: 'act_9' }], false],
    ['not-equal on the same value', [{ name: 'account', op: '!=', value: 'act_1' }], true],
    // Regexes are anchored: "cmp_4" does not match cmp_42, "cmp_4.*" does.
    ['regex anchored', [{ name: 'entity', op: '=~', value: 'cmp_4' }], true],
    ['regex', [{ name: 'entity', op: '=~', value: 'cmp_4.*' }], false],
    ['negative regex', [{ name: 'entity', op: '!~', value: 'cmp_1.*' }], false],
    ['negative regex on a match', [{ name: 'entity', op: '!~', value: 'cmp_.*' }], true],
    // Severity is a label to silences even though rules keep it apart.
    ['severity label', [{ name: 'severity', op: '=', value: 'critical' }], false],
    // All matchers must hold.
    ['every matcher must hold', [{ name: 'alertname', op: '=', value: 'high-cpc' }, { name: 'account', op: '=', value: 'act_2' }], true],
  ]
  for (const [name, matchers, expected] of cases) assert.equal(await passes(alert, [silence(matchers)]), expected, name)
})

test('table: silences start and expire by themselves', async () => {
  const m: LabelMatcher[] = [{ name: 'alertname', op: '=', value: 'high-cpc' }]
  const s = silence(m, T0, T0 + 10 * MIN)
  const cases: Array<[string, number, boolean]> = [
    ['before its start', T0 - 1, true],
    ['at its start', T0, false],
    ['a millisecond before its end', T0 + 10 * MIN - 1, false],
    // [start, end): at the end it no longer mutes, with no one expiring it.
    ['at its end', T0 + 10 * MIN, true],
  ]
  for (const [name, now, expected] of cases) assert.equal(await passes(alert, [s], now), expected, name)
})

test('table: acknowledgements and resolves', async () => {
  const ack: Acknowledgement = { fingerprint: alert.fingerprint, startsAtMs: T0, author: 'ana', comment: 'on it', atMs: T0 + MIN }
  const cases: Array<[string, Alert, Acknowledgement[], Silence[], boolean]> = [
    // An acknowledged firing episode gets no (repeat) notifications.
    ['acknowledged episode', { ...alert, reason: 'repeat' }, [ack], [], false],
    // The acknowledgement was of an earlier episode: the new one notifies.
    ['acknowledged earlier episode', { ...alert, startsAtMs: T0 + 5 * MIN }, [ack], [], true],
    // An acknowledgement never holds a resolve back.
    ['resolve of an acknowledged alert', { ...alert, status: 'resolved' }, [ack], [], true],
    // A silence holds a resolve back while it lasts (the pipeline sends it when the silence ends).
    ['resolve under a silence', { ...alert, status: 'resolved' }, [], [silence([{ name: 'alertname', op: '=', value: 'high-cpc' }])], false],
  ]
  for (const [name, a, acks, silences, expected] of cases) assert.equal(await passes(a, silences, T0 + 2 * MIN, acks), expected, name)
})
