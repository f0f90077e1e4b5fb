import { test } from 'node:test'
import assert from 'node:assert/strict'
import { idOf } from './history/clickhouse-dead-letters.ts'
import { deadLetter } from './testing/fakes.ts'
import { alertEvent, liveAlert } from './testing/alerting-fakes.ts'
import { bearer, buildTestGateway, signTestJwt, TEST_NOW, unsignedJwt, type TestGateway } from './testing/test-gateway.ts'

/**
 * Tenant isolation over REST: acme's credentials (an admin JWT and an admin API key, the
 * strongest there are) against every resource of globex. Each must answer 403 or 404 (or leave
 * globex's data out of a list) and change nothing of globex's.
 */

const MIN = 60_000
const minute = Math.floor(TEST_NOW / MIN) * MIN
const B_LETTER = { stream: 'adwatch-events', shard: 'shardId-000000000001', pos: 'gp1' }

const B_FP = 'b0b0b0b0b0b0b0b0'
const B_ROUTING = { receivers: [{ name: 'gx-pager', type: 'pagerduty', routing_key: { secret: 'gx_pd' } }], route: { receiver: 'gx-pager' } }

async function twoTenants(): Promise<{ t: TestGateway; bKeyId: string; bKey: string; bSilence: string }> {
  const t = await buildTestGateway()
  t.entities.add('acme', 'a1', 'c1', minute, [10, 1, 100, 0, 0])
  t.entities.add('globex', 'g1', 'gc1', minute, [99, 9, 999, 9, 9])
  await t.entities.setCampaignSettings('globex', 'gc1', { name: 'Globex secret plan', dailyBudgetMicros: 5_000_000 })
  await t.entities.setAccountSettings('globex', 'g1', { name: 'Globex EU', timeZone: 'Europe/Berlin' })
  t.series.rows.set('globex\u0000campaign\u0000gc1', [[minute / 1000, 99, 9, 999, 9, 9]])
  t.series.rows.set('globex\u0000account\u0000g1', [[minute / 1000, 99, 9, 999, 9, 9]])
  t.deadLetters.rows.set('globex', [deadLetter({ ...B_LETTER, partitionKey: 'globex/gc1', raw: JSON.stringify({ id: 'gx', ts: TEST_NOW, tenant: 'globex', platform: 'm', account: 'g1', campaign: 'gc1', type: 'click' }) })])
  await t.rules.save('globex', { id: 'gx-rule', name: 'Globex secret rule', level: 'campaign', severity: 'critical', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 31337 }] } }, 'globex-user')
  t.detectors.modelsOf.set('globex', [{ level: 'campaign', version: TEST_NOW - 1000, trainedAtMs: TEST_NOW - 1000, entities: 4242 }])
  await t.detectors.setThreshold('globex', 'ewma', 0.333)
  t.detectors.scoresOf.set('globex', new Map([['campaign', [{ entity: 'gc1', scores: { iforest: 0.99 }, atMs: TEST_NOW }]]]))
  const b = await t.apiKeys.create({ tenant: 'globex', role: 'admin', name: 'globex ops', createdBy: 'x', nowMs: TEST_NOW })
  // Globex's alerting: a firing alert (with its transition in the log and in history), a silence, a routing config.
  t.alerting.addAlert(liveAlert('globex', B_FP, { entity: 'gc1', campaign: 'gc1', account: 'g1', labels: { alertname: 'globex-burn' } }))
  const ev = alertEvent('globex', B_FP, { entity: 'gc1', campaign: 'gc1', account: 'g1', atMs: TEST_NOW - 1_000 })
  const id = t.alerting.append(ev, TEST_NOW - 1_000)
  t.alerting.rows.push({ ...ev, eventId: id, labels: { ...ev.labels }, annotations: {}, values: {} })
  const silence = await t.alerting.create('globex', { matchers: [{ name: 'alertname', op: '=', value: 'globex-burn' }], endsAtMs: TEST_NOW + 3_600_000, author: 'gx' })
  await t.alerting.put('globex', B_ROUTING, 'gx')
  return { t, bKeyId: b.record.id, bKey: b.key, bSilence: silence.id }
}

/** Every request of acme that names a globex resource, with the answers allowed. */
function probes(bKeyId: string, bSilence = '00000000-0000-4000-8000-000000000000'): Array<{ name: string; method: 'GET' | 'PUT' | 'POST' | 'DELETE'; url: string; payload?: object; check: (status: number, body: string) => void }> {
  const denied = (status: number) => assert.ok(status === 403 || status === 404, `status ${status}`)
  const noGlobex = (status: number, body: string) => {
    assert.equal(status, 200)
    assert.ok(!/gc1|g1"|Globex|globex|gp1|b0b0|gx-pager|gx_pd/.test(body.replace(/"tenant":"acme"/g, '')), `globex data leaked: ${body.slice(0, 300)}`)
  }
  return [
    { name: 'campaign', method: 'GET', url: '/api/v1/campaigns/gc1', check: denied },
    { name: 'campaign settings', method: 'GET', url: '/api/v1/campaigns/gc1/settings', check: denied },
    { name: 'change campaign settings', method: 'PUT', url: '/api/v1/campaigns/gc1/settings', payload: { dailyBudgetMicros: 1 }, check: denied },
    { name: 'account', method: 'GET', url: '/api/v1/accounts/g1', check: denied },
    { name: 'account settings', method: 'GET', url: '/api/v1/accounts/g1/settings', check: denied },
    { name: 'change account settings', method: 'PUT', url: '/api/v1/accounts/g1/settings', payload: { timeZone: 'UTC' }, check: denied },
    { name: 'campaign series', method: 'GET', url: '/api/v1/timeseries/campaign/gc1', check: denied },
    { name: 'account series', method: 'GET', url: '/api/v1/timeseries/account/g1', check: denied },
    { name: 'revoke key', method: 'DELETE', url: `/api/v1/api-keys/${bKeyId}`, check: denied },
    { name: 'alert', method: 'GET', url: `/api/v1/alerts/${B_FP}`, check: denied },
    { name: 'alert history', method: 'GET', url: `/api/v1/alerts/${B_FP}/history`, check: denied },
    { name: 'acknowledge alert', method: 'POST', url: `/api/v1/alerts/${B_FP}/ack`, payload: {}, check: denied },
    { name: 'withdraw acknowledgement', method: 'DELETE', url: `/api/v1/alerts/${B_FP}/ack`, check: denied },
    { name: 'silence', method: 'GET', url: `/api/v1/silences/${bSilence}`, check: denied },
    { name: 'expire silence', method: 'DELETE', url: `/api/v1/silences/${bSilence}`, check: denied },
    { name: 'alert list', method: 'GET', url: '/api/v1/alerts', check: (s, b) => assert.deepEqual([s, JSON.parse(b).total], [200, 0]) },
    { name: 'alert list by entity', method: 'GET', url: '/api/v1/alerts?entity=gc1', check: (s, b) => assert.deepEqual([s, JSON.parse(b).total], [200, 0]) },
    { name: 'alert history range', method: 'GET', url: `/api/v1/alerts/history?fingerprint=${B_FP}`, check: (s, b) => assert.deepEqual([s, JSON.parse(b).items], [200, []]) },
    { name: 'silence list', method: 'GET', url: '/api/v1/silences', check: (s, b) => assert.deepEqual([s, JSON.parse(b).total], [200, 0]) },
    { name: 'routing config', method: 'GET', url: '/api/v1/alerting/config', check: noGlobex },
    { name: 'campaign list', method: 'GET', url: '/api/v1/campaigns', check: noGlobex },
    { name: 'campaign list by account', method: 'GET', url: '/api/v1/campaigns?account=g1', check: (s, b) => assert.deepEqual([s, JSON.parse(b).total], [200, 0]) },
    { name: 'account list', method: 'GET', url: '/api/v1/accounts', check: noGlobex },
    { name: 'key list', method: 'GET', url: '/api/v1/api-keys', check: noGlobex },
    { name: 'dead letters', method: 'GET', url: '/api/v1/dead-letters', check: noGlobex },
    { name: 'dead-letter counts', method: 'GET', url: '/api/v1/dead-letters/counts', check: (s, b) => assert.deepEqual([s, JSON.parse(b).total], [200, 0]) },
    { name: 'replay by id', method: 'POST', url: '/api/v1/dead-letters/replay', payload: { ids: [idOf(B_LETTER)] }, check: (s, b) => assert.deepEqual([s, JSON.parse(b).results[0].status], [200, 'not_found']) },
    { name: 'replay by code', method: 'POST', url: '/api/v1/dead-letters/replay', payload: { code: 'unknown_tenant' }, check: (s, b) => assert.deepEqual([s, JSON.parse(b).results], [200, []]) },
    { name: 'rule', method: 'GET', url: '/api/v1/rules/gx-rule', check: denied },
    { name: 'rule versions', method: 'GET', url: '/api/v1/rules/gx-rule/versions', check: denied },
    { name: 'delete rule', method: 'DELETE', url: '/api/v1/rules/gx-rule', check: denied },
    { name: 'restore rule version', method: 'POST', url: '/api/v1/rules/gx-rule/versions/1/restore', check: denied },
    { name: 'backtest saved rule', method: 'POST', url: '/api/v1/rules/backtest', payload: { ruleId: 'gx-rule', days: 1 }, check: denied },
    { name: 'rule list', method: 'GET', url: '/api/v1/rules', check: (s, b) => assert.deepEqual([s, JSON.parse(b).total], [200, 0]) },
    // acme's own rule of the same id: created in acme's namespace, globex's is untouched (checked below).
    { name: 'save rule of that id', method: 'PUT', url: '/api/v1/rules/gx-rule', payload: { name: 'mine', level: 'campaign', severity: 'info', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 1 }] } }, check: (s, b) => assert.deepEqual([s, JSON.parse(b).version, JSON.parse(b).rule.name], [200, 1, 'mine']) },
    { name: 'detectors', method: 'GET', url: '/api/v1/detectors', check: (s, b) => assert.ok(s === 200 && !/4242|0\.333/.test(b) && JSON.parse(b).items.every((d: { status: string }) => d.status === 'untrained'), b.slice(0, 200)) },
    { name: 'detector scores', method: 'GET', url: '/api/v1/detectors/scores?level=campaign', check: (s, b) => assert.deepEqual([s, JSON.parse(b).total], [200, 0]) },
    { name: 'retrain', method: 'POST', url: '/api/v1/detectors/iforest/retrain', check: (s, b) => assert.deepEqual([s, JSON.parse(b).modelVersion], [202, null]) },
    { name: 'detector threshold', method: 'PUT', url: '/api/v1/detectors/ewma/threshold', payload: { threshold: 0.5 }, check: (s, b) => assert.ok(s === 200 && !/0\.333/.test(b), b.slice(0, 200)) },
    {
      name: 'ingest as globex',
      method: 'POST',
      url: '/api/v1/events',
      payload: { events: [{ id: 'x1', ts: TEST_NOW, tenant: 'globex', platform: 'm', account: 'g1', campaign: 'gc1', type: 'click', clicks: 1 }] },
      check: (s, b) => assert.deepEqual([s, JSON.parse(b).results[0].code], [202, 'wrong_tenant']),
    },
  ]
}

for (const kind of ['JWT', 'API key'] as const) {
  test(`tenant A's admin ${kind} gets 403/404 for every resource of tenant B and changes nothing`, async () => {
    const { t, bKeyId, bKey, bSilence } = await twoTenants()
    const credential = kind === 'JWT' ? await t.jwt('acme', 'admin') : await t.apiKey('acme', 'admin')
    for (const p of probes(bKeyId, bSilence)) {
      const res = await t.gateway.app.inject({ method: p.method, url: p.url, headers: bearer(credential), ...(p.payload === undefined ? {} : { payload: p.payload }) })
      try {
        p.check(res.statusCode, res.body)
      } catch (err) {
        throw new Error(`${kind} → ${p.name}: ${(err as Error).message}`)
      }
    }
    // Globex is untouched.
    assert.deepEqual(t.entities.campaigns.get('globex\u0000gc1'), { name: 'Globex secret plan', dailyBudgetMicros: 5_000_000 })
    assert.equal(t.entities.zones.get('globex\u0000g1'), 'Europe/Berlin')
    assert.equal(t.events.puts.length, 0, 'nothing written to the stream')
    assert.equal(t.alerting.ackMap.get('globex')?.size ?? 0, 0, 'globex\'s alert not acknowledged')
    assert.equal((await t.alerting.list('globex'))[0]?.state, 'active', 'globex\'s silence still active')
    assert.deepEqual((await t.alerting.get('globex'))?.config, B_ROUTING, 'globex\'s routing untouched')
    assert.deepEqual((await t.rules.versions('globex', 'gx-rule')).map((v) => [v.version, v.rule.name]), [[1, 'Globex secret rule']])
    assert.equal(t.rules.current.has('globex\u0000gx-rule'), true, 'globex\'s rule was not deleted')
    assert.equal(t.detectors.requestedAt.has('globex'), false, 'no retrain of globex requested')
    assert.equal((await t.detectors.thresholds('globex')).get('ewma'), 0.333)
    assert.equal((await t.gateway.app.inject({ url: '/api/v1/me', headers: bearer(bKey) })).json().tenant, 'globex', 'globex\'s key still works')
    await t.close()
  })
}

test('forged or incomplete JWTs are rejected on every REST route', async () => {
  const { t } = await twoTenants()
  const exp = Math.floor(TEST_NOW / 1000) + 600
  const forged: Array<[string, string]> = [
    ['alg none claiming globex admin', unsignedJwt({ app_metadata: { tenant: 'globex', role: 'admin' }, exp })],
    ['signed with another key', await signTestJwt({ app_metadata: { tenant: 'globex', role: 'admin' } }, { secret: 'attacker-secret-attacker-secret-attacker-secret' })],
    ['expired', await signTestJwt({ app_metadata: { tenant: 'acme', role: 'admin' } }, { nowMs: TEST_NOW - 86_400_000 })],
    ['no tenant claim', await signTestJwt({ app_metadata: { role: 'admin' } })],
    ['no role claim', await signTestJwt({ app_metadata: { tenant: 'acme' } })],
    ['tampered payload', (await t.jwt('acme', 'viewer')).replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ app_metadata: { tenant: 'globex', role: 'admin' }, exp })).toString('base64url')}.`)],
  ]
  const routes = probes('0123456789abcdef')
  for (const [name, token] of forged) {
    for (const p of routes) {
      const res = await t.gateway.app.inject({ method: p.method, url: p.url, headers: bearer(token), ...(p.payload === undefined ? {} : { payload: p.payload }) })
      assert.equal(res.statusCode, 401, `${name} → ${p.name}`)
      assert.equal(res.json().error.code, 'ADW_AUTH_INVALID', `${name} → ${p.name}`)
    }
  }
  await t.close()
})
