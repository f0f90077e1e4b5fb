import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger } from '../core/log.ts'
import { startWorker } from '../stream/worker-runtime.ts'
import type { SettingsChange, WindowUpdate } from './socket-events.ts'
import { connectSocket, gatewayTestEnv, recordSocket, spawnGateway, waitForEvent, type ClientSocket, type GatewayProcess } from './testing/gateway-env.ts'

/**
 * Done-when 4: two gateway processes sharing Redis (Socket.IO Redis adapter, rate limits, API
 * key revocations). A client on one gateway receives what the other emits; both get window
 * updates; a revocation on one closes the key's socket on the other; the rate limit is one
 * budget across both.
 */
test('two gateway processes share rooms, revocations and rate limits through Redis', { timeout: 150_000 }, async () => {
  const env = await gatewayTestEnv('gwtwo', { tenants: ['acme'], overrides: { ADW_GATEWAY_RATE_LIMIT_KEY_MAX: '40' } })
  const worker = await startWorker(env.cfg, createLogger('warn', 'two'))
  const gateways: GatewayProcess[] = []
  const sockets: ClientSocket[] = []
  try {
    gateways.push(...(await Promise.all([spawnGateway(env.env, 'g1'), spawnGateway(env.env, 'g2')])))
    const [g1, g2] = gateways as [GatewayProcess, GatewayProcess]
    assert.notEqual(g1.url, g2.url)
    const editor = await env.apiKey('acme', 'editor')
    const viewerKey = await env.apiKey('acme', 'viewer')
    const on1 = await connectSocket(g1.url, await env.jwt('acme', 'viewer'))
    const on2 = await connectSocket(g2.url, viewerKey.key)
    sockets.push(on1, on2)
    const log1 = recordSocket(on1)
    const log2 = recordSocket(on2)
    for (const s of [on1, on2]) assert.equal((await s.emitWithAck('subscribe', { entities: [{ level: 'campaign', id: 'c1' }] })).ok, true)

    // An event posted through gateway 1: each gateway pushes the window to its own client.
    const ingest = await fetch(`${g1.url}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${editor.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ id: 'x1', ts: Date.now(), platform: 'meta', account: 'a1', campaign: 'c1', type: 'spend', spend_micros: 4200 }] }),
    })
    assert.equal(ingest.status, 202)
    for (const log of [log1, log2]) await waitForEvent<WindowUpdate>(log, 'windows', (u) => u.id === 'c1' && u.windows.today.spendMicros === 4200, 20_000)

    // A settings change made on gateway 1 is emitted there and reaches the client on gateway 2.
    const put = await fetch(`${g1.url}/api/v1/campaigns/c1/settings`, { method: 'PUT', headers: { authorization: `Bearer ${editor.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Spring', dailyBudgetMicros: 10_000 }) })
    assert.equal(put.status, 200)
    const seen = await waitForEvent<SettingsChange>(log2, 'settings', (c) => c.id === 'c1', 5_000)
    assert.deepEqual(seen.payload, { kind: 'campaign', id: 'c1', settings: { name: 'Spring', dailyBudgetMicros: 10_000 } })
    await waitForEvent<SettingsChange>(log1, 'settings', (c) => c.id === 'c1', 5_000)
    assert.equal(log2.filter((e) => e.event === 'settings').length, 1, 'delivered once')
    // Gateway 2 dropped its cached settings: its campaign answer has the new budget at once.
    const viaG2 = await (await fetch(`${g2.url}/api/v1/campaigns/c1`, { headers: { authorization: `Bearer ${viewerKey.key}` } })).json()
    assert.equal(viaG2.dailyBudgetMicros, 10_000)

    // One rate-limit budget per key across both gateways: 40 per window, requests alternating.
    const budgeted = await env.apiKey('acme', 'viewer')
    const statuses: number[] = []
    for (let i = 0; i < 44; i++) statuses.push((await fetch(`${(i % 2 === 0 ? g1 : g2).url}/api/v1/me`, { headers: { authorization: `Bearer ${budgeted.key}` } })).status)
    assert.deepEqual([...new Set(statuses.slice(0, 40))], [200], statuses.join(','))
    assert.deepEqual(statuses.slice(40), [429, 429, 429, 429], 'the 41st request is refused, on either gateway')

    // Revoking the viewer key on gateway 1 closes its socket on gateway 2 and stops it there at once.
    const closed = new Promise<string>((resolve) => on2.once('disconnect', (reason) => resolve(reason)))
    const revoke = await fetch(`${g1.url}/api/v1/api-keys/${viewerKey.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${await env.jwt('acme', 'admin')}` } })
    assert.equal(revoke.status, 204)
    assert.equal(await closed, 'io server disconnect')
    assert.equal((await fetch(`${g2.url}/api/v1/me`, { headers: { authorization: `Bearer ${viewerKey.key}` } })).status, 401)
  } finally {
    for (const s of sockets) s.close()
    await Promise.all(gateways.map((g) => g.stop()))
    await worker.close()
    await env.close()
  }
})
