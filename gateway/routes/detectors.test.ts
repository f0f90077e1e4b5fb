import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Level } from '../../stream/event.ts'
import type { EntityScores } from '../deps.ts'
import { bearer, buildTestGateway, TEST_NOW } from '../testing/test-gateway.ts'
import { detectorDto, RETRAIN_PENDING_MS } from './detectors.ts'

const HOUR = 3_600_000

test('detector status: training while a recent request has no newer model, else ready or untrained', () => {
  const model = { level: 'campaign' as const, version: TEST_NOW - 2 * HOUR, trainedAtMs: TEST_NOW - 2 * HOUR, entities: 40 }
  const cases: Array<[string, Parameters<typeof detectorDto>[2], number | undefined, string, string | null]> = [
    // No model, never asked: untrained.
    ['none', undefined, undefined, 'untrained', null],
    // A model and no request: ready.
    ['model', model, undefined, 'ready', null],
    // Asked after the model was trained, a minute ago: training.
    ['asked since', model, TEST_NOW - 60_000, 'training', new Date(TEST_NOW - 60_000).toISOString()],
    // Asked before the current model: that request was served.
    ['served', model, TEST_NOW - 3 * HOUR, 'ready', null],
    // Asked over an hour ago and still no model: no runner took it, so not shown as training.
    ['stale', undefined, TEST_NOW - RETRAIN_PENDING_MS - 1, 'untrained', null],
  ]
  for (const [name, m, requested, status, requestedAt] of cases) {
    const d = detectorDto('iforest', 'campaign', m, 0.8, requested, TEST_NOW)
    assert.deepEqual([d.status, d.retrainRequestedAt], [status, requestedAt], name)
  }
  assert.deepEqual(detectorDto('ewma', 'campaign', model, 0.9, undefined, TEST_NOW), {
    name: 'ewma', level: 'campaign', modelVersion: model.version, trainedAt: new Date(model.trainedAtMs).toISOString(), entities: 40, threshold: 0.9, status: 'ready', retrainRequestedAt: null,
  })
})

test('list detectors per level with models and thresholds; scores most anomalous first with paging', async () => {
  const t = await buildTestGateway()
  t.detectors.modelsOf.set('acme', [{ level: 'campaign', version: TEST_NOW - HOUR, trainedAtMs: TEST_NOW - HOUR, entities: 12 }])
  t.detectors.thresholdsOf.set('acme', new Map([['ewma', 0.9]]))
  t.detectors.scoresOf.set('acme', new Map<Level, EntityScores[]>([['campaign', [
    { entity: 'c2', scores: { iforest: 0.91, ewma: 0.2 }, atMs: TEST_NOW - 90_000 },
    { entity: 'c1', scores: { seasonal_z: 0.4 }, atMs: TEST_NOW - 90_000 },
  ]]]))
  const h = bearer(await t.jwt('acme', 'viewer'))
  const list = (await t.gateway.app.inject({ url: '/api/v1/detectors', headers: h })).json()
  assert.equal(list.total, 8, '4 detectors × 2 levels')
  const row = (name: string, level: string) => list.items.find((d: { name: string; level: string }) => d.name === name && d.level === level)
  assert.deepEqual([row('iforest', 'campaign').status, row('iforest', 'campaign').modelVersion, row('iforest', 'campaign').entities], ['ready', TEST_NOW - HOUR, 12])
  assert.deepEqual([row('iforest', 'account').status, row('iforest', 'account').modelVersion], ['untrained', null])
  assert.deepEqual([row('ewma', 'account').threshold, row('flatline', 'account').threshold], [0.9, 0.8])

  const scores = await t.gateway.app.inject({ url: '/api/v1/detectors/scores?level=campaign&limit=1', headers: h })
  assert.equal(scores.statusCode, 200)
  assert.deepEqual(scores.json(), {
    items: [{ level: 'campaign', entity: 'c2', scores: { iforest: 0.91, seasonal_z: null, ewma: 0.2, flatline: null }, at: new Date(TEST_NOW - 90_000).toISOString() }],
    total: 2, limit: 1, offset: 0,
  })
  assert.deepEqual((await t.gateway.app.inject({ url: '/api/v1/detectors/scores?offset=1', headers: h })).json().items.map((s: { entity: string }) => s.entity), ['c1'], 'level defaults to campaign')
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/detectors/scores?level=adset', headers: h })).json().total, 0)
  for (const [q, field] of [['level=tenant', 'querystring/level'], ['limit=5000', 'querystring/limit'], ['sort=x', 'querystring/sort']]) {
    const res = await t.gateway.app.inject({ url: `/api/v1/detectors/scores?${q}`, headers: h })
    assert.deepEqual([res.statusCode, res.json().error.field], [400, field], q)
  }
  await t.close()
})

test('retrain queues a request for the caller\'s tenant and shows training; thresholds are set per detector; editors only', async () => {
  const t = await buildTestGateway()
  t.detectors.modelsOf.set('acme', [{ level: 'campaign', version: TEST_NOW - HOUR, trainedAtMs: TEST_NOW - HOUR, entities: 12 }])
  const editor = bearer(await t.jwt('acme', 'editor'))
  const viewer = bearer(await t.jwt('acme', 'viewer'))
  const res = await t.gateway.app.inject({ method: 'POST', url: '/api/v1/detectors/iforest/retrain?level=campaign', headers: editor })
  assert.equal(res.statusCode, 202)
  assert.deepEqual([res.json().name, res.json().level, res.json().status, res.json().modelVersion], ['iforest', 'campaign', 'training', TEST_NOW - HOUR])
  assert.deepEqual([...t.detectors.requestedAt], [['acme', TEST_NOW]])
  // Without a level, the first configured level's row answers; every detector of the tenant shows training.
  assert.equal((await t.gateway.app.inject({ method: 'POST', url: '/api/v1/detectors/ewma/retrain', headers: editor })).json().level, 'account')
  const list = (await t.gateway.app.inject({ url: '/api/v1/detectors', headers: viewer })).json()
  assert.ok(list.items.every((d: { status: string }) => d.status === 'training'))

  const set = await t.gateway.app.inject({ method: 'PUT', url: '/api/v1/detectors/ewma/threshold', headers: editor, payload: { threshold: 0.95 } })
  assert.deepEqual([set.statusCode, set.json().items.map((d: { threshold: number }) => d.threshold)], [200, [0.95, 0.95]])

  const errors: Array<[string, string, object | undefined, { authorization: string }, number, string | undefined]> = [
    ['POST', '/api/v1/detectors/nope/retrain', undefined, editor, 404, undefined],
    ['POST', '/api/v1/detectors/Bad-Name/retrain', undefined, editor, 400, 'params/name'],
    ['POST', '/api/v1/detectors/iforest/retrain?level=galaxy', undefined, editor, 400, 'querystring/level'],
    ['POST', '/api/v1/detectors/iforest/retrain?level=adset', undefined, editor, 404, undefined], // a level the runner does not judge
    ['PUT', '/api/v1/detectors/ewma/threshold', { threshold: 0 }, editor, 400, 'body/threshold'],
    ['PUT', '/api/v1/detectors/ewma/threshold', { threshold: 1.5 }, editor, 400, 'body/threshold'],
    ['PUT', '/api/v1/detectors/ewma/threshold', {}, editor, 400, 'body/threshold'],
    ['PUT', '/api/v1/detectors/nope/threshold', { threshold: 0.5 }, editor, 404, undefined],
    ['POST', '/api/v1/detectors/iforest/retrain', undefined, viewer, 403, undefined],
    ['PUT', '/api/v1/detectors/ewma/threshold', { threshold: 0.5 }, viewer, 403, undefined],
  ]
  for (const [method, url, payload, headers, status, field] of errors) {
    const r = await t.gateway.app.inject({ method: method as 'POST', url, headers, ...(payload === undefined ? {} : { payload }) })
    assert.deepEqual([r.statusCode, r.json().error.field], [status, field], `${method} ${url}`)
  }
  assert.equal(t.detectors.thresholdsOf.get('acme')?.get('ewma'), 0.95, 'the refused requests changed nothing')
  await t.close()
})

test('a store failure is 503', async () => {
  const t = await buildTestGateway()
  t.detectors.fail = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' })
  const res = await t.gateway.app.inject({ url: '/api/v1/detectors', headers: bearer(await t.jwt('acme', 'viewer')) })
  assert.deepEqual([res.statusCode, res.json().error.code], [503, 'ADW_GATEWAY_UNAVAILABLE'])
  await t.close()
})

test('score history of one entity: the highest score per judged minute in the range, oldest first; only the caller\'s tenant; 400s name the field', async () => {
  const t = await buildTestGateway()
  const MIN = 60_000
  const at = (k: number) => TEST_NOW - k * MIN
  t.detectors.historyOf.set('acme', new Map([['campaign/c1', new Map([[at(90), 0.2], [at(30), 0.95], [at(31), 0.4], [at(1), 0.1]])]]))
  t.detectors.historyOf.set('globex', new Map([['campaign/c1', new Map([[at(5), 0.99]])]]))
  const h = bearer(await t.jwt('acme', 'viewer'))
  const get = (q: string) => t.gateway.app.inject({ url: `/api/v1/detectors/scores/campaign/c1${q}`, headers: h })
  const lastHour = await get('')
  assert.equal(lastHour.statusCode, 200)
  assert.deepEqual(lastHour.json(), { timesSec: [at(31) / 1000, at(30) / 1000, at(1) / 1000], maxScore: [0.4, 0.95, 0.1] }, 'the last hour by default; globex\'s minute is not there')
  assert.deepEqual((await get(`?from=${at(120)}&to=${at(60)}`)).json(), { timesSec: [at(90) / 1000], maxScore: [0.2] })
  assert.deepEqual((await t.gateway.app.inject({ url: '/api/v1/detectors/scores/account/a9', headers: h })).json(), { timesSec: [], maxScore: [] }, 'never scored: empty')
  for (const [q, field] of [[`?from=${at(1)}&to=${at(2)}`, 'querystring/from'], [`?from=${at(32 * 1440)}`, 'querystring/from'], ['?to=yesterday', 'querystring/to'], ['?step=60', 'querystring/step']] as const) {
    const r = await get(q)
    assert.deepEqual([r.statusCode, r.json().error.field], [400, field], q)
  }
  assert.deepEqual([(await t.gateway.app.inject({ url: '/api/v1/detectors/scores/galaxy/c1', headers: h })).json().error.field], ['params/level'])
  assert.equal((await t.gateway.app.inject({ url: '/api/v1/detectors/scores/campaign/c1' })).statusCode, 401)
  await t.close()
})
