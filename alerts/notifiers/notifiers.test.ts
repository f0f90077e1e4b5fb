import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { Secret } from '../../core/config.ts'
import { NotifyError, RoutingConfigError } from '../errors.ts'
import { alertOf, notifierContext, RecordingHttp, T0, testSecrets } from '../testing/fixtures.ts'
import { validatePagerDutyEvent } from '../testing/pagerduty-events-v2.ts'
import { validateSlackMessage } from '../testing/slack-block-kit.ts'
import { compileRouting } from '../routing.ts'
import { buildAlertmanagerAlerts } from './alertmanager-notifier.ts'
import { expectSuccess, parseRetryAfterMs } from './http.ts'
import type { Notification, NotifiedAlert } from './notifier.ts'
import { buildNotifier } from './registry.ts'
import { buildSlackMessage } from './slack-notifier.ts'
import { NOTIFICATION_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from './webhook-notifier.ts'

function notified(over: Partial<NotifiedAlert> = {}): NotifiedAlert {
  const a = alertOf({ entity: over.entity })
  return { ...a, status: 'firing', reason: 'new', ...over } as NotifiedAlert
}

function notification(alerts: NotifiedAlert[]): Notification {
  return { id: '1700000000000-0', tenant: 'acme', receiver: 'r', groupKey: '{alertname="high-cpc",account="act_1"}', groupLabels: { alertname: 'high-cpc', account: 'act_1' }, alerts, createdAtMs: T0 }
}

test('Slack messages are valid Block Kit within Slack\'s limits, whatever the group size and text length', () => {
  const long = 'x'.repeat(5000)
  const cases: Array<[string, NotifiedAlert[]]> = [
    ['one alert', [notified()]],
    ['a resolve', [notified({ status: 'resolved', reason: 'resolved', endsAtMs: T0 + 60_000 })]],
    // 40 alerts would be 80+ blocks: 10 are shown, the rest counted, under 50 blocks.
    ['forty alerts', Array.from({ length: 40 }, (_, i) => notified({ entity: `cmp_${i}` }))],
    // Oversized texts are cut to the section (3000) and field (2000) limits.
    ['huge texts', [notified({ annotations: { summary: long }, explanation: long, values: { [long]: 1 } })]],
  ]
  for (const [name, alerts] of cases) {
    const msg = buildSlackMessage({ ...notification(alerts), groupLabels: { alertname: 'r'.repeat(300), account: 'act_1' } }, { dashboardUrl: 'https://adwatch.example' })
    assert.deepEqual(validateSlackMessage(msg), [], name)
  }
  const big = buildSlackMessage(notification(Array.from({ length: 40 }, (_, i) => notified({ entity: `cmp_${i}` }))), { dashboardUrl: undefined })
  assert.match(JSON.stringify(big), /and 30 more alerts/)
})

test('the Block Kit validator catches what Slack rejects', () => {
  const bad = { text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'y'.repeat(151) } }, { type: 'section' }, { type: 'table' }] }
  const problems = validateSlackMessage(bad)
  assert.ok(problems.some((p) => p.includes('$.blocks[0].text.type')), problems.join('\n'))
  assert.ok(problems.some((p) => p.includes('at most 150')))
  assert.ok(problems.some((p) => p.includes('$.blocks[1]: a section needs text or fields')))
  assert.ok(problems.some((p) => p.includes('$.blocks[2].type')))
  assert.ok(validateSlackMessage({ text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }).some((p) => p.includes('at most 50')))
})

test('PagerDuty: one valid Events v2 event per alert; trigger and resolve with the fingerprint as dedup_key', async () => {
  const http = new RecordingHttp()
  const pd = buildNotifier({ name: 'pager', type: 'pagerduty', routing_key: { secret: 'pd' }, url: 'http://127.0.0.1:1/v2/enqueue' }, notifierContext('$.receivers[0]', http))
  assert.equal(pd.granularity, 'alert')
  const severities = ['critical', 'error', 'warning', 'info'] as const
  for (const severity of severities) await pd.send(notification([notified({ severity })]), new AbortController().signal)
  await pd.send(notification([notified({ status: 'resolved', reason: 'resolved' })]), new AbortController().signal)
  const events = http.posts.map((p) => JSON.parse(p.body) as Record<string, any>)
  for (const e of events) assert.deepEqual(validatePagerDutyEvent(e), [], JSON.stringify(e))
  assert.deepEqual(events.map((e) => e.event_action), ['trigger', 'trigger', 'trigger', 'trigger', 'resolve'])
  assert.deepEqual(events.slice(0, 4).map((e) => e.payload.severity), [...severities])
  assert.ok(events.every((e) => e.dedup_key === alertOf().fingerprint))
  assert.deepEqual(events[0]!.payload.custom_details.values, { cpc_15m: 3.42 })
  assert.equal(events[0]!.payload.custom_details.conditions, 'cpc_15m = 3.42 > 3 ✓')
  assert.equal(events[0]!.routing_key, 'abcdefabcdefabcdefabcdefabcdef12')
  assert.ok(validatePagerDutyEvent({ ...events[0], payload: { ...events[0]!.payload, severity: 'high' } }).length > 0, 'the validator rejects unknown severities')
})

test('webhooks are signed: HMAC-SHA256 over "<t>.<body>", checked in constant time, stale ones refused', async () => {
  const http = new RecordingHttp()
  const hook = buildNotifier({ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:1/hook', signing_secret: { secret: 'hook' } }, notifierContext('$.receivers[0]', http))
  await hook.send(notification([notified()]), new AbortController().signal)
  const [post] = http.posts
  const key = testSecrets.resolve('acme', 'hook') as Secret
  const header = post!.headers[SIGNATURE_HEADER]
  assert.match(header ?? '', /^t=\d+,v1=[0-9a-f]{64}$/)
  assert.equal(post!.headers[NOTIFICATION_ID_HEADER], '1700000000000-0')
  const t = Math.floor(T0 / 1000)
  const cases: Array<[string, string | undefined, string, number, boolean]> = [
    ['genuine', header, post!.body, t, true],
    ['body changed', header, post!.body.replace('high-cpc', 'low-cpc'), t, false],
    ['replayed ten minutes later', header, post!.body, t + 600, false],
    ['no header', undefined, post!.body, t, false],
  ]
  for (const [name, h, body, now, ok] of cases) assert.equal(verifyWebhookSignature(h, body, key, now), ok, name)
  assert.equal(JSON.parse(post!.body).alerts[0].explanation, 'cpc_15m = 3.42 > 3 ✓')
})

test('Alertmanager alerts: valid label names, alertname, endsAt in the future while firing and the end once resolved', () => {
  const ttl = 25 * 3_600_000
  const [firing, resolved] = buildAlertmanagerAlerts(
    notification([notified({ labels: { 'team.name': 'growth', '1st': 'x', empty: '' } }), notified({ status: 'resolved', endsAtMs: T0 + 5000 })]),
    T0 + 10_000,
    ttl,
    undefined,
  ) as Array<Record<string, any>>
  assert.deepEqual(Object.keys(firing!.labels).sort(), ['_1st', 'account', 'alertname', 'campaign', 'entity', 'level', 'severity', 'source', 'team_name', 'tenant'])
  assert.equal(firing!.labels.alertname, 'high-cpc')
  assert.equal(firing!.endsAt, new Date(T0 + 10_000 + ttl).toISOString())
  assert.equal(resolved!.endsAt, new Date(T0 + 5000).toISOString())
  assert.equal(firing!.startsAt, new Date(T0).toISOString())
})

test('table: receiver answers become retryable or final errors', () => {
  const redact = (t: string) => testSecrets.redact(t)
  const cases: Array<[number, Record<string, string>, string | undefined, boolean | undefined, number | undefined]> = [
    [200, {}, undefined, undefined, undefined],
    [202, {}, undefined, undefined, undefined],
    [400, {}, 'ADW_NOTIFY_REJECTED', false, undefined],
    [404, {}, 'ADW_NOTIFY_REJECTED', false, undefined],
    [408, {}, 'ADW_NOTIFY_FAILED', true, undefined],
    // 429 with Retry-After in seconds.
    [429, { 'retry-after': '7' }, 'ADW_NOTIFY_RATE_LIMITED', true, 7000],
    [500, {}, 'ADW_NOTIFY_FAILED', true, undefined],
    // 503 with Retry-After as an HTTP date 30 s ahead.
    [503, { 'retry-after': new Date(T0 + 30_000).toUTCString() }, 'ADW_NOTIFY_FAILED', true, 30_000],
  ]
  for (const [status, headers, code, retryable, retryAfterMs] of cases) {
    let err: NotifyError | undefined
    try {
      expectSuccess({ status, headers: new Headers(headers), body: 'nope' }, 'receiver', T0, redact)
    } catch (e) {
      err = e as NotifyError
    }
    assert.deepEqual([err?.code, err?.retryable, err?.retryAfterMs], [code, retryable, retryAfterMs], `status ${status}`)
  }
  assert.equal(parseRetryAfterMs('garbage', T0), undefined)
})

test('secrets never show: in error messages, logs or JSON', () => {
  const url = 'https://hooks.slack.example/services/T000/B000/XXXXsecret'
  let err: NotifyError | undefined
  try {
    expectSuccess({ status: 500, headers: new Headers(), body: `upstream ${url} failed` }, 'Slack', T0, (t) => testSecrets.redact(t))
  } catch (e) {
    err = e as NotifyError
  }
  assert.ok(err !== undefined && !err.message.includes('XXXXsecret') && err.message.includes('[redacted]'))
  const s = new Secret('hunter2')
  assert.equal(JSON.stringify({ s }), '{"s":"[redacted]"}')
  assert.equal(`${s}`, '[redacted]')
  assert.ok(!inspect({ s }).includes('hunter2'))
})

test('receivers are built by type: unknown types, secrets written in clear and missing secrets are named by path', () => {
  assert.throws(() => buildNotifier({ name: 'x', type: 'teams' }, notifierContext('$.receivers[3]')), (e: RoutingConfigError) => e.problems[0]?.path === '$.receivers[3].type' && /unknown receiver type "teams"/.test(e.message))
  assert.throws(() => buildNotifier({ name: 'x', type: 'slack', webhook_url: 'https://hooks.slack.com/services/T/B/c' }, notifierContext('$.receivers[0]')), (e: RoutingConfigError) => e.problems.some((p) => p.path === '$.receivers[0].webhook_url' && /secret reference/.test(p.message)))
  // A missing secret does not break the config: that receiver fails every send, without retries.
  const routing = compileRouting({ receivers: [{ name: 'chat', type: 'slack', webhook_url: { secret: 'nope' } }], route: { receiver: 'chat' } }, 1, { groupWaitMs: 0, groupIntervalMs: 1, repeatIntervalMs: 1 }, (p) => notifierContext(p))
  return assert.rejects(routing.notifiers.get('chat')!.send(notification([notified()]), new AbortController().signal), (e: NotifyError) => e.code === 'ADW_NOTIFY_SECRET_MISSING' && !e.retryable)
})
