import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BacktestInvalidError } from '../../rules/backtest-errors.ts'
import { BacktestBusyError, BacktestTimeoutError } from '../errors.ts'
import { bearer, buildTestGateway, TEST_NOW } from '../testing/test-gateway.ts'

const rule = { id: 'spend-spike', name: 'spend spike', level: 'campaign', severity: 'warning', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 3 }] } }
const url = '/api/v1/rules/backtest'

test('a draft rule is backtested over the requested days for the caller\'s tenant; viewers may run it', async () => {
  const t = await buildTestGateway()
  const h = bearer(await t.jwt('acme', 'viewer'))
  const res = await t.gateway.app.inject({ method: 'POST', url, headers: h, payload: { rule, days: 3 } })
  assert.equal(res.statusCode, 200)
  const body = res.json()
  assert.deepEqual([body.ruleId, body.toMs - body.fromMs, body.intervals.length, body.totals.entitiesFired], ['spend-spike', 3 * 86_400_000, 1, 1])
  assert.deepEqual(body.intervals[0].peaks, { spend_5m: 4.2 })
  assert.equal(body.intervals[0].endMs, null)
  assert.deepEqual(t.backtests.requests, [{ tenant: 'acme', days: 3, rule }], 'the tenant comes from the credentials')
  // Days default to 7; a saved rule is backtested by id (and version).
  await t.gateway.app.inject({ method: 'POST', url, headers: h, payload: { rule } })
  await t.gateway.app.inject({ method: 'POST', url, headers: h, payload: { ruleId: 'spend-spike', version: 2, days: 1 } })
  assert.deepEqual(t.backtests.requests.slice(1), [{ tenant: 'acme', days: 7, rule }, { tenant: 'acme', days: 1, ruleId: 'spend-spike', version: 2 }])
  assert.equal(Math.floor(TEST_NOW / 60_000) * 60_000, body.toMs)
  await t.close()
})

test('bad requests are 400 naming the field: days out of bounds, neither rule nor ruleId, unknown fields', async () => {
  const t = await buildTestGateway()
  const h = bearer(await t.jwt('acme', 'viewer'))
  const cases: Array<[object, string]> = [
    [{ rule, days: 0 }, 'body/days'],
    [{ rule, days: 32 }, 'body/days'], // at most 31 days (MAX_BACKTEST_DAYS)
    [{ rule, days: '7' }, 'body/days'], // bodies are not coerced
    [{ days: 7 }, 'body/rule'], // the first alternative's field is named
    [{ rule, days: 7, from: 1 }, 'body/from'],
    [{ rule: [rule], days: 7 }, 'body/rule'],
    [{ rule, version: 2 }, 'body/version'],
  ]
  for (const [payload, field] of cases) {
    const res = await t.gateway.app.inject({ method: 'POST', url, headers: h, payload })
    assert.deepEqual([res.statusCode, res.json().error.field], [400, field], JSON.stringify(payload).slice(0, 80))
  }
  assert.equal(t.backtests.requests.length, 0, 'nothing ran')
  await t.close()
})

test('an invalid draft is 400 ADW_RULE_INVALID at its JSON path; service errors map to 404, 400, 429 and 503', async () => {
  const t = await buildTestGateway({ now: () => TEST_NOW })
  // The real validation: a backtest of a rule with an unknown fact.
  t.backtests.run = async (req) => {
    const { BacktestService } = await import('../../rules/backtest-service.ts')
    return new BacktestService({ rollups: { readSlice: async () => ({ series: [], rows: 0, bytes: 0 }) }, timeZones: { refresh: async () => true, timeZoneOf: () => 'UTC' }, budgets: { campaigns: async () => new Map() }, rules: t.rules, now: () => TEST_NOW }).run(req)
  }
  const h = bearer(await t.jwt('acme', 'viewer'))
  const bad = await t.gateway.app.inject({ method: 'POST', url, headers: h, payload: { rule: { ...rule, conditions: { all: [{ fact: 'spend_5mm', operator: 'greaterThan', value: 3 }] } }, days: 1 } })
  assert.deepEqual([bad.statusCode, bad.json().error.code, bad.json().error.field], [400, 'ADW_RULE_INVALID', '$.conditions.all[0].fact'])
  assert.deepEqual(bad.json().error.problems.map((p: { path: string }) => p.path), ['$.conditions.all[0].fact'])
  // A saved rule of another id is 404; a version it does not have is 400 naming body/version.
  const missing = await t.gateway.app.inject({ method: 'POST', url, headers: h, payload: { ruleId: 'nope', days: 1 } })
  assert.equal(missing.statusCode, 404)
  await t.rules.save('acme', rule, 'test')
  const noVersion = await t.gateway.app.inject({ method: 'POST', url, headers: h, payload: { ruleId: 'spend-spike', version: 5, days: 1 } })
  assert.deepEqual([noVersion.statusCode, noVersion.json().error.field], [400, 'body/version'])
  const saved = await t.gateway.app.inject({ method: 'POST', url, headers: h, payload: { ruleId: 'spend-spike', days: 1 } })
  assert.deepEqual([saved.statusCode, saved.json().ruleVersion, saved.json().totals.entities], [200, 1, 0])
  await t.close()

  const u = await buildTestGateway()
  const hu = bearer(await u.jwt('acme', 'viewer'))
  const answers: Array<[Error, number, string]> = [
    [new BacktestBusyError(2), 429, 'ADW_GATEWAY_RATE_LIMITED'],
    [new BacktestTimeoutError(60_000), 503, 'ADW_GATEWAY_UNAVAILABLE'],
    [new BacktestInvalidError('give either days, or both fromMs and toMs'), 400, 'ADW_GATEWAY_INVALID_REQUEST'],
  ]
  for (const [err, status, code] of answers) {
    u.backtests.fail = err
    const res = await u.gateway.app.inject({ method: 'POST', url, headers: hu, payload: { rule, days: 1 } })
    assert.deepEqual([res.statusCode, res.json().error.code], [status, code], err.message)
  }
  assert.match((await u.gateway.app.inject({ method: 'POST', url, headers: hu, payload: { rule, days: 1 } })).json().error.message, /within 60 s|fromMs/)
  assert.equal((await u.gateway.app.inject({ method: 'POST', url, payload: { rule, days: 1 } })).statusCode, 401)
  await u.close()
})
