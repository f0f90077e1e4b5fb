import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger } from '../core/log.ts'
import { startWorker } from '../stream/worker-runtime.ts'
import { startGatewayRuntime } from './runtime.ts'
import type { WindowUpdate } from './socket-events.ts'
import { connectSocket, gatewayTestEnv, recordSocket, waitForEvent } from './testing/gateway-env.ts'

/**
 * Done-when 3: events posted to POST /api/v1/events reach Kinesis, are folded by a consumer
 * worker, and a socket.io-client subscribed to the campaign gets the updated window within 1 s.
 */
test('HTTP ingest → Kinesis → fold → Socket.IO window update within 1 s', { timeout: 120_000 }, async (t) => {
  const env = await gatewayTestEnv('gwe2e', { tenants: ['acme'] })
  const log = createLogger('warn', 'e2e')
  const worker = await startWorker(env.cfg, log)
  const runtime = await startGatewayRuntime(env.cfg, log)
  try {
    const url = await runtime.gateway.listen()
    const { key } = await env.apiKey('acme', 'editor')
    const socket = await connectSocket(url, await env.jwt('acme', 'viewer'))
    const received = recordSocket(socket)
    const subscribed = await socket.emitWithAck('subscribe', { entities: [{ level: 'campaign', id: 'c-e2e' }, { level: 'campaign', id: 'c-warm' }] })
    assert.deepEqual(subscribed, { ok: true, current: [] }, 'nothing known of the campaigns yet')
    const post = (campaign: string, events: object[]) =>
      fetch(`${url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ events: events.map((e) => ({ ts: Date.now(), platform: 'meta', account: 'act_1', campaign, ...e })) }) })

    // Warm-up: the first record of a fresh stream also pays for shard iterators.
    assert.equal((await post('c-warm', [{ id: 'w1', type: 'impression', impressions: 1 }])).status, 202)
    await waitForEvent<WindowUpdate>(received, 'windows', (u) => u.id === 'c-warm', 15_000)

    const t0 = Date.now()
    const res = await post('c-e2e', [
      { id: 'e1', type: 'impression', impressions: 1000 },
      { id: 'e2', type: 'click', clicks: 30, spend_micros: 1_500_000 },
      { id: 'e3', type: 'conversion', conversions: 2, revenue_micros: 9_000_000 },
    ])
    assert.equal(res.status, 202)
    assert.deepEqual((await res.json()).accepted, 3)
    const update = await waitForEvent<WindowUpdate>(received, 'windows', (u) => u.id === 'c-e2e' && u.windows.today.conversions === 2 && u.windows.today.impressions === 1000 && u.windows.today.clicks === 30, 1_000 + 500)
    const latencyMs = update.atMs - t0
    assert.ok(latencyMs <= 1_000, `window update after ${latencyMs} ms (budget 1 s)`)
    // '5m', not '1m': "1m" is the current minute only, and a post at hh:mm:59 arrives in the next
    // one (a run at 07:16:59 failed so). Five minutes always hold an event a second old.
    const w = update.payload.windows['5m']
    assert.deepEqual([w.impressions, w.clicks, w.spendMicros, w.conversions, w.revenueMicros], [1000, 30, 1_500_000, 2, 9_000_000])
    assert.equal(w.ctr, 0.03)
    assert.equal(w.cpcMicros, 50_000)
    assert.equal(w.roas, 6)
    assert.ok(!received.some((e) => e.event === 'windows' && (e.payload as WindowUpdate).id === 'c-e2e' && (e.payload as WindowUpdate).windows.today.clicks > 30), 'counted once')

    // The same numbers over REST, and from ClickHouse once the worker has inserted them.
    const headers = { authorization: `Bearer ${key}` }
    const rest = await (await fetch(`${url}/api/v1/campaigns/c-e2e`, { headers })).json()
    assert.equal(rest.windows.today.spendMicros, 1_500_000)
    let series: { spendMicros: number[] } | undefined
    for (let i = 0; i < 100; i++) {
      series = await (await fetch(`${url}/api/v1/timeseries/campaign/c-e2e`, { headers })).json()
      if ((series?.spendMicros ?? []).reduce((a, b) => a + b, 0) === 1_500_000) break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(series!.spendMicros.reduce((a, b) => a + b, 0), 1_500_000, 'the ClickHouse rollups agree')
    t.diagnostic(`event → socket latency: ${latencyMs} ms`)
    socket.close()
  } finally {
    await runtime.close()
    await worker.close()
    await env.close()
  }
})
