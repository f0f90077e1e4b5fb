import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Alert } from '../alert.ts'
import { receiversFor } from '../routing.ts'
import type { RoutingConfig } from '../routing-config.ts'
import { alertOf, contextOf, routingOf, T0 } from '../testing/fixtures.ts'
import { emptyTenantState, TenantStateDraft } from '../tenant-state.ts'
import { RouteStage } from './route-stage.ts'

const cfg: RoutingConfig = {
  receivers: ['default', 'pager', 'growth', 'growth-critical', 'audit'].map((name) => ({ name, type: 'log' })),
  route: {
    receiver: 'default',
    routes: [
      // Everything is also audited: continue on to the routes below.
      { matchers: [{ name: 'alertname', op: '=~', value: '.+' }], receiver: 'audit', continue: true },
      { matchers: [{ name: 'severity', op: '=', value: 'critical' }], receiver: 'pager', continue: true },
      {
        matchers: [{ name: 'team', op: '=', value: 'growth' }],
        receiver: 'growth',
        routes: [{ matchers: [{ name: 'severity', op: '=', value: 'critical' }], receiver: 'growth-critical' }],
      },
      { matchers: [{ name: 'team', op: '!=', value: '' }] },
    ],
  },
}

test('table: routes by label matchers with continue', () => {
  const cases: Array<[string, Record<string, string>, string[]]> = [
    // audit (continue) then nothing else matches: only the audit route matched, so no fallback to default.
    ['audit only', { alertname: 'x', severity: 'info' }, ['audit']],
    // critical: audit, pager (continue), then the team route.
    ['critical growth alert', { alertname: 'x', severity: 'critical', team: 'growth' }, ['audit', 'pager', 'growth-critical']],
    // growth non-critical: the child does not match, so the growth route's own receiver.
    ['growth warning', { alertname: 'x', severity: 'warning', team: 'growth' }, ['audit', 'growth']],
    // A route without a receiver inherits its parent's (the root's default).
    ['inherited receiver', { alertname: 'x', severity: 'warning', team: 'ops' }, ['audit', 'default']],
    // Nothing matches: the root's receiver.
    ['fallback to root', { severity: 'warning' }, ['default']],
  ]
  for (const [name, labels, expected] of cases) assert.deepEqual(receiversFor(cfg.route, labels), expected, name)
})

test('the stage annotates receivers and drops alerts routed nowhere', async () => {
  const nowhere: RoutingConfig = { receivers: [{ name: 'pager', type: 'log' }], route: { routes: [{ matchers: [{ name: 'severity', op: '=', value: 'critical' }], receiver: 'pager' }] } }
  const alerts: Alert[] = [alertOf({ entity: 'a', severity: 'critical' }), alertOf({ entity: 'b', severity: 'info' })]
  const out = await new RouteStage().run(contextOf(new TenantStateDraft(emptyTenantState()), T0, routingOf(nowhere)), alerts)
  assert.deepEqual(out.map((a) => [a.entity, a.receivers]), [['a', ['pager']]])
})
