import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Alert } from '../alert.ts'
import type { RoutingConfig } from '../routing-config.ts'
import { alertOf, contextOf, routingOf, T0 } from '../testing/fixtures.ts'
import { emptyTenantState, TenantStateDraft } from '../tenant-state.ts'
import { OutboxStage } from './outbox-stage.ts'

const cfg: RoutingConfig = {
  receivers: [{ name: 'chat', type: 'slack', webhook_url: { secret: 'slack' } }, { name: 'pager', type: 'pagerduty', routing_key: { secret: 'pd' } }],
  route: { receiver: 'chat' },
}

test('one notification per group and receiver, one per alert for PagerDuty; announcements recorded', async () => {
  const state = emptyTenantState()
  const resolvedOne = alertOf({ entity: 'c3', status: 'resolved', endsAtMs: T0 + 5, announced: { status: 'firing', startsAtMs: T0, atMs: T0 }, updatedAtMs: T0 + 5 })
  const flowing: Alert[] = [
    { ...resolvedOne, groupKey: 'g1', receivers: ['chat', 'pager'], reason: 'resolved' },
    { ...alertOf({ entity: 'c1', updatedAtMs: T0 + 2 }), groupKey: 'g1', receivers: ['chat', 'pager'], reason: 'new' },
    { ...alertOf({ entity: 'c2', updatedAtMs: T0 + 1 }), groupKey: 'g1', receivers: ['chat'], reason: 'new' },
  ]
  for (const a of flowing) state.alerts.set(a.fingerprint, a)
  const draft = new TenantStateDraft(state)
  const ctx = contextOf(draft, T0 + 10, routingOf(cfg))
  await new OutboxStage().run(ctx, flowing)
  // Slack gets one message for the group: firing first (in decision order), then the resolve.
  // PagerDuty gets one event per alert.
  assert.deepEqual(ctx.outbox.map((n) => [n.receiver, n.alerts.map((a) => `${a.entity}:${a.status}`)]), [
    ['chat', ['c2:firing', 'c1:firing', 'c3:resolved']],
    ['pager', ['c1:firing']],
    ['pager', ['c3:resolved']],
  ])
  // Announced firing alerts remember it (so dedup stays quiet); the resolved one is done.
  assert.deepEqual(draft.alert(flowing[1]!.fingerprint)?.announced, { status: 'firing', startsAtMs: T0, atMs: T0 + 10 })
  assert.equal(draft.alert(resolvedOne.fingerprint), undefined)
  // The stored alert does not keep the per-tick annotations.
  assert.equal(draft.alert(flowing[1]!.fingerprint)?.receivers, undefined)
})
