import assert from 'node:assert/strict'
import { test } from 'node:test'
import { prefilledMatchers } from './alerts-view.tsx'

test('a silence starts from the alert\'s rule, level, entity and own labels, all equality matchers', () => {
  const m = prefilledMatchers({ sourceId: 'high-cpc', level: 'campaign', entity: 'cmp_7', labels: { team: 'growth', tenant: 'acme' } })
  assert.deepEqual(m, [
    { name: 'alertname', op: '=', value: 'high-cpc' },
    { name: 'level', op: '=', value: 'campaign' },
    { name: 'entity', op: '=', value: 'cmp_7' },
    { name: 'team', op: '=', value: 'growth' },
  ])
})
