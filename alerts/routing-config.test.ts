import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultRoutingConfig, validateRoutingConfig } from './routing-config.ts'

const opts = { allowInsecureUrls: false, defaultAlertmanagerUrl: 'https://am.example' }

const good = {
  receivers: [
    { name: 'chat', type: 'slack', webhook_url: { secret: 'oncall_slack' }, rate_limit: { per_second: 1, burst: 1 } },
    { name: 'pager', type: 'pagerduty', routing_key: { secret: 'pd_key' } },
    { name: 'hook', type: 'webhook', url: 'https://hooks.example/adwatch', signing_secret: { secret: 'hook_key' } },
    { name: 'am', type: 'alertmanager', alert_ttl: '25h' },
  ],
  route: {
    receiver: 'chat',
    routes: [{ matchers: [{ name: 'severity', op: '=', value: 'critical' }], receiver: 'pager', continue: true }, { matchers: [{ name: 'team', op: '=~', value: 'growth|brand' }], receiver: 'hook' }],
  },
  group: { by: ['alertname', 'account'], wait: '250ms', interval: '30s', repeat_interval: '4h' },
  inhibit_rules: [{ source_matchers: [{ name: 'alertname', op: '=', value: 'spend-stopped' }], target_matchers: [{ name: 'alertname', op: '!=', value: 'spend-stopped' }], equal: ['account'] }],
}

test('a complete config and the defaults are valid', () => {
  assert.deepEqual(validateRoutingConfig(good, opts), [])
  assert.deepEqual(validateRoutingConfig(defaultRoutingConfig('log'), opts), [])
  assert.deepEqual(validateRoutingConfig(defaultRoutingConfig('none'), opts), [])
})

test('table: every problem names its JSON path', () => {
  const withReceiver = (r: object) => ({ ...good, receivers: [...good.receivers, r] })
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['unknown receiver type', withReceiver({ name: 'teams', type: 'msteams' }), '$.receivers[4].type', /unknown receiver type "msteams"; use one of slack, pagerduty, webhook, alertmanager, log/],
    ['a secret in clear', withReceiver({ name: 'x', type: 'slack', webhook_url: 'https://hooks.slack.com/services/T/B/secret' }), '$.receivers[4].webhook_url', /secret reference/],
    ['a missing option', withReceiver({ name: 'x', type: 'pagerduty' }), '$.receivers[4].routing_key', /required/],
    ['an unknown option', withReceiver({ name: 'x', type: 'log', colour: 'red' }), '$.receivers[4].colour', /unknown field/],
    ['a duplicate receiver', withReceiver({ name: 'chat', type: 'log' }), '$.receivers[4].name', /declared twice/],
    ['a route to a missing receiver', { ...good, route: { receiver: 'chat', routes: [{ receiver: 'nobody' }] } }, '$.route.routes[0].receiver', /no receiver named "nobody"/],
    ['a bad regex', { ...good, route: { receiver: 'chat', routes: [{ matchers: [{ name: 'x', op: '=~', value: '(' }], receiver: 'chat' }] } }, '$.route.routes[0].matchers[0]', /invalid regex/],
    ['a bad operator', { ...good, route: { receiver: 'chat', routes: [{ matchers: [{ name: 'x', op: '==', value: 'a' }] }] } }, '$.route.routes[0].matchers[0].op', /must be one of/],
    ['a bad duration', { ...good, group: { interval: '5 minutes' } }, '$.group.interval', /pattern/],
    ['a zero interval', { ...good, group: { interval: '0s' } }, '$.group.interval', /longer than 0/],
    ['plain http when insecure receivers are off', withReceiver({ name: 'h', type: 'webhook', url: 'http://hooks.example', signing_secret: { secret: 's' } }), '$.receivers[4].url', /https/],
    ['an internal address', withReceiver({ name: 'h', type: 'webhook', url: 'https://169.254.169.254/latest', signing_secret: { secret: 's' } }), '$.receivers[4].url', /link-local/],
    ['matchers on the root route', { ...good, route: { receiver: 'chat', matchers: [] } }, '$.route.matchers', /unknown field/],
    ['missing route', { receivers: [] }, '$.route', /required/],
    ['prototype pollution', JSON.parse('{"receivers":[],"route":{},"__proto__":{"x":1}}'), '$.__proto__', /not allowed/],
  ]
  for (const [name, input, path, message] of cases) {
    const problems = validateRoutingConfig(input, opts)
    assert.ok(problems.some((p) => p.path === path && message.test(p.message)), `${name}: ${JSON.stringify(problems)}`)
  }
})

test('oversized configs are refused whole', () => {
  const huge = { ...good, receivers: [...good.receivers, { name: 'x', type: 'log', pad: 'y'.repeat(70_000) }] }
  assert.deepEqual(validateRoutingConfig(huge, opts).map((p) => p.path), ['$'])
})
