import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { authPlugin } from './plugins/auth.ts'
import { Authenticator } from './auth/authenticator.ts'
import { JwtVerifier } from './auth/jwt-verifier.ts'
import { MemoryApiKeyStore, MemoryTenants } from './testing/fakes.ts'
import { bearer, buildTestGateway, TEST_NOW } from './testing/test-gateway.ts'

test('/health, /ready and /metrics are public; /ready names what is down', async () => {
  const t = await buildTestGateway({ readiness: [{ name: 'redis', check: async () => undefined }, { name: 'clickhouse', check: async () => Promise.reject(new Error('ECONNREFUSED 10.0.0.5:8123')) }] })
  const app = t.gateway.app
  assert.deepEqual((await app.inject('/health')).json(), { status: 'ok' })
  const ready = await app.inject('/ready')
  assert.equal(ready.statusCode, 503)
  assert.equal(ready.json().checks.redis.ok, true)
  assert.deepEqual([ready.json().checks.clickhouse.ok, ready.json().checks.clickhouse.error], [false, 'unreachable'])
  assert.ok(!ready.body.includes('10.0.0.5'), 'failure details stay in the log')
  const metrics = await app.inject('/metrics')
  assert.equal(metrics.statusCode, 200)
  assert.match(metrics.headers['content-type'] as string, /text\/plain/)
  assert.match(metrics.body, /adwatch_http_request_duration_seconds_bucket\{.*route="\/ready"/, 'HTTP latency per route')
  assert.match(metrics.body, /# TYPE adwatch_evaluation_tick_seconds gauge/)
  assert.match(metrics.body, /# TYPE adwatch_outbox_depth gauge/)
  await t.close()
})

test('/metrics reports ingest totals, rate and lag per shard from the workers\' Redis stats', async () => {
  let now = TEST_NOW
  const { GatewayMetrics } = await import('./metrics.ts')
  let events = 1000
  const m = new GatewayMetrics({
    now: () => now,
    defaultMetrics: false,
    ingest: { read: async () => ({ totals: { events, dead_letters: 3 }, lag: [{ shard: 'shardId-0', lagMs: 1500, reportedAtMs: now - 1000 }, { shard: 'shardId-9', lagMs: 99, reportedAtMs: now - 60_000 }] }) },
    external: { evaluationTickMs: async () => 42, outboxDepth: async () => 7 },
  })
  await m.render()
  now += 2_000
  events = 21_000
  const text = (await m.render()).body
  assert.match(text, /adwatch_ingest_total\{kind="events"\} 21000/)
  assert.match(text, /adwatch_ingest_events_per_second 10000/, '20,000 events in 2 s')
  assert.match(text, /adwatch_consumer_lag_seconds\{shard="shardId-0"\} 1.5/)
  assert.ok(!text.includes('shardId-9'), 'a lag report older than 30 s is from a shard nobody reads')
  assert.match(text, /adwatch_evaluation_tick_seconds 0.042/)
  assert.match(text, /adwatch_outbox_depth 7/)
})

test('/api routes need credentials and the route\'s role', async () => {
  const t = await buildTestGateway()
  const app = t.gateway.app
  const none = await app.inject('/api/v1/campaigns')
  assert.equal(none.statusCode, 401)
  assert.equal(none.json().error.code, 'ADW_AUTH_MISSING')
  const basic = await app.inject({ url: '/api/v1/campaigns', headers: { authorization: 'Basic dTpw' } })
  assert.equal(basic.json().error.code, 'ADW_AUTH_INVALID')
  // A viewer reads but may not write settings or ingest; an editor may not manage keys.
  const viewer = bearer(await t.jwt('acme', 'viewer'))
  assert.equal((await app.inject({ url: '/api/v1/campaigns', headers: viewer })).statusCode, 200)
  const put = await app.inject({ method: 'PUT', url: '/api/v1/campaigns/c1/settings', headers: viewer, payload: { dailyBudgetMicros: 5 } })
  assert.deepEqual([put.statusCode, put.json().error.code], [403, 'ADW_AUTH_FORBIDDEN'])
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/events', headers: viewer, payload: { events: [] } })).statusCode, 403)
  const editor = bearer(await t.jwt('acme', 'editor'))
  assert.equal((await app.inject({ url: '/api/v1/api-keys', headers: editor })).statusCode, 403)
  assert.equal((await app.inject({ url: '/api/v1/api-keys', headers: bearer(await t.jwt('acme', 'admin')) })).statusCode, 200)
  // X-API-Key works like a bearer API key.
  assert.equal((await app.inject({ url: '/api/v1/me', headers: { 'x-api-key': await t.apiKey('acme', 'viewer') } })).json().tenant, 'acme')
  await t.close()
})

test('every /api route declares its access; one that does not fails at startup', async () => {
  const app = Fastify()
  const auth = new Authenticator({ jwt: new JwtVerifier({ secret: undefined, jwksUrl: undefined, issuer: undefined, audience: undefined, tenantClaim: 't', roleClaim: 'r', clockToleranceSec: 0, now: Date.now }), apiKeys: new MemoryApiKeyStore(), tenants: new MemoryTenants(new Set()), apiKeyCacheMs: 1, now: Date.now })
  await app.register(authPlugin, { authenticator: auth })
  assert.throws(() => app.get('/api/v1/oops', async () => 'open'), /declares no config.access/)
  const t = await buildTestGateway()
  const routes = t.gateway.app.printRoutes({ commonPrefix: false })
  for (const path of ['/api/v1/campaigns', '/api/v1/accounts', '/api/v1/timeseries/:level/:id', '/api/v1/dead-letters', '/api/v1/events', '/api/v1/api-keys']) assert.ok(routes.includes(path.replace('/api/v1', '')) || routes.includes(path), path)
  await t.close()
})

test('unknown routes, oversized and non-JSON bodies get coded JSON errors', async () => {
  const t = await buildTestGateway()
  const app = t.gateway.app
  const h = bearer(await t.jwt('acme', 'editor'))
  const missing = await app.inject('/nope')
  assert.deepEqual([missing.statusCode, missing.json().error.code], [404, 'ADW_GATEWAY_NOT_FOUND'])
  // Settings bodies are limited to ADW_GATEWAY_BODY_LIMIT_BYTES (1 MiB).
  const big = await app.inject({ method: 'PUT', url: '/api/v1/campaigns/c1/settings', headers: { ...h, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(1_100_000) }) })
  assert.deepEqual([big.statusCode, big.json().error.code], [413, 'ADW_GATEWAY_PAYLOAD_TOO_LARGE'])
  const text = await app.inject({ method: 'PUT', url: '/api/v1/campaigns/c1/settings', headers: { ...h, 'content-type': 'text/plain' }, payload: 'hi' })
  assert.deepEqual([text.statusCode, text.json().error.code], [415, 'ADW_GATEWAY_UNSUPPORTED_MEDIA_TYPE'])
  const broken = await app.inject({ method: 'PUT', url: '/api/v1/campaigns/c1/settings', headers: { ...h, 'content-type': 'application/json' }, payload: '{"name":' })
  assert.deepEqual([broken.statusCode, broken.json().error.code, broken.json().error.field], [400, 'ADW_GATEWAY_INVALID_REQUEST', 'body'])
  await t.close()
})

test('an unexpected error answers 500 with the request id and no stack trace; a store outage 503', async () => {
  const t = await buildTestGateway()
  const h = bearer(await t.jwt('acme', 'viewer'))
  t.entities.ids = async () => {
    throw new TypeError('Cannot read properties of undefined (reading \'secret\') at /srv/gateway/live.ts:42')
  }
  const res = await t.gateway.app.inject({ url: '/api/v1/campaigns', headers: h })
  assert.equal(res.statusCode, 500)
  assert.equal(res.json().error.code, 'ADW_GATEWAY_INTERNAL')
  assert.equal(res.json().error.requestId, res.headers['x-request-id'])
  assert.ok(!/secret|\.ts|at /.test(res.json().error.message), `no internals in ${res.body}`)
  t.entities.ids = async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6379')
  }
  const down = await t.gateway.app.inject({ url: '/api/v1/campaigns', headers: h })
  assert.deepEqual([down.statusCode, down.json().error.code], [503, 'ADW_GATEWAY_UNAVAILABLE'])
  assert.ok(!down.body.includes('6379'))
  await t.close()
})

test('security headers on every answer; CORS only for configured origins', async () => {
  const t = await buildTestGateway({ env: { ADW_CORS_ORIGINS: 'https://app.example.com' } })
  const app = t.gateway.app
  const res = await app.inject({ url: '/health', headers: { origin: 'https://app.example.com' } })
  assert.equal(res.headers['x-content-type-options'], 'nosniff')
  assert.match(res.headers['content-security-policy'] as string, /default-src 'self'/)
  assert.match(res.headers['strict-transport-security'] as string, /max-age/)
  assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com')
  const evil = await app.inject({ url: '/health', headers: { origin: 'https://evil.example' } })
  assert.equal(evil.headers['access-control-allow-origin'], undefined)
  const preflight = await app.inject({ method: 'OPTIONS', url: '/api/v1/campaigns', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization' } })
  assert.equal(preflight.statusCode, 204)
  assert.match(preflight.headers['access-control-allow-headers'] as string, /Authorization/)
  await t.close()
})

test('rate limits: per credential when authenticated, per IP otherwise (failed logins included)', async () => {
  const t = await buildTestGateway({ env: { ADW_GATEWAY_RATE_LIMIT_KEY_MAX: '3', ADW_GATEWAY_RATE_LIMIT_IP_MAX: '2' } })
  const app = t.gateway.app
  const a = bearer(await t.jwt('acme', 'viewer'))
  const b = bearer(await t.jwt('globex', 'viewer'))
  const codes = async (headers: Record<string, string>, n: number) => {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push((await app.inject({ url: '/api/v1/me', headers })).statusCode)
    return out
  }
  assert.deepEqual(await codes(a, 4), [200, 200, 200, 429])
  assert.deepEqual(await codes(b, 1), [200], 'another credential has its own budget')
  const limited = await app.inject({ url: '/api/v1/me', headers: a })
  assert.equal(limited.json().error.code, 'ADW_GATEWAY_RATE_LIMITED')
  assert.ok(Number(limited.headers['retry-after']) > 0)
  // Guessing credentials from one IP: 401, 401, then 429.
  assert.deepEqual(await codes(bearer('adw_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), 3), [401, 401, 429])
  // Probes are never limited.
  assert.deepEqual(await codes({}, 5).then(() => app.inject('/health')).then((r) => r.statusCode), 200)
  await t.close()
})

test('the OpenAPI document covers every API route with its schemas and security', async () => {
  const t = await buildTestGateway()
  const doc = (await t.gateway.app.inject('/docs/json')).json()
  const paths = Object.keys(doc.paths)
  for (const p of ['/api/v1/me', '/api/v1/api-keys', '/api/v1/api-keys/{id}', '/api/v1/accounts', '/api/v1/accounts/{id}', '/api/v1/accounts/{id}/settings', '/api/v1/campaigns', '/api/v1/campaigns/{id}', '/api/v1/campaigns/{id}/settings', '/api/v1/timeseries/{level}/{id}', '/api/v1/dead-letters', '/api/v1/dead-letters/counts', '/api/v1/dead-letters/replay', '/api/v1/events', '/health', '/ready', '/metrics']) {
    assert.ok(paths.includes(p), `${p} in the OpenAPI document`)
  }
  assert.ok(doc.components.securitySchemes.bearer)
  assert.deepEqual(doc.paths['/health'].get.security, [], 'probes need no credentials')
  assert.ok(doc.paths['/api/v1/events'].post.requestBody.content['application/json'].schema.properties.events.items.properties.spend_micros)
  const ui = await t.gateway.app.inject('/docs/')
  assert.equal(ui.statusCode, 200)
  assert.match(ui.body, /swagger/i)
  await t.close()
})
