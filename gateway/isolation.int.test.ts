import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SignJWT } from 'jose'
import { RedisAlertEventLog } from '../alerts/index.ts'
import { ruleEvent } from '../alerts/testing/alerts-env.ts'
import { createLogger } from '../core/log.ts'
import { startWorker } from '../stream/worker-runtime.ts'
import { startGatewayRuntime } from './runtime.ts'
import type { AlertTransitionPush, SettingsChange, WindowUpdate } from './socket-events.ts'
import { connectSocket, gatewayTestEnv, recordSocket, waitForEvent, type ClientSocket } from './testing/gateway-env.ts'
import { TEST_JWT_SECRET, unsignedJwt } from './testing/test-gateway.ts'

/**
 * Done-when 2, Socket.IO side, with real socket.io-client connections: tenant A's sockets
 * (JWT and API key) never receive tenant B's events (windows, settings, alert transitions),
 * even subscribed to B's campaign ids, and
 * forged JWTs are refused at the handshake. REST isolation is covered by isolation.test.ts.
 */
test('tenant A\'s sockets never receive tenant B\'s events; forged handshakes are refused', { timeout: 120_000 }, async () => {
  const env = await gatewayTestEnv('gwiso', { tenants: ['acme', 'globex'] })
  const log = createLogger('warn', 'iso')
  const worker = await startWorker(env.cfg, log)
  const runtime = await startGatewayRuntime(env.cfg, log)
  const sockets: ClientSocket[] = []
  try {
    const url = await runtime.gateway.listen()
    const aKey = await env.apiKey('acme', 'viewer')
    const bKey = await env.apiKey('globex', 'editor')
    const aJwt = await connectSocket(url, await env.jwt('acme', 'admin'))
    const aApi = await connectSocket(url, aKey.key)
    const b = await connectSocket(url, await env.jwt('globex', 'viewer'))
    sockets.push(aJwt, aApi, b)
    const logs = new Map([aJwt, aApi, b].map((s) => [s, recordSocket(s)]))
    // Both tenants have a campaign "shared"; only globex has "gx-only". A asks for both ids.
    const watch = [{ level: 'campaign' as const, id: 'shared' }, { level: 'campaign' as const, id: 'gx-only' }, { level: 'account' as const, id: 'g-acct' }]
    for (const s of [aJwt, aApi, b]) assert.equal((await s.emitWithAck('subscribe', { entities: watch })).ok, true)

    const post = async (key: string, events: object[]) => {
      const res = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) })
      assert.equal(res.status, 202)
      return res.json()
    }
    const ev = (id: string, campaign: string, account: string, spend: number) => ({ id, ts: Date.now(), platform: 'meta', account, campaign, type: 'spend', spend_micros: spend })
    await post(bKey.key, [ev('b1', 'shared', 'g-acct', 777), ev('b2', 'gx-only', 'g-acct', 888)])
    const bLog = logs.get(b)!
    await waitForEvent<WindowUpdate>(bLog, 'windows', (u) => u.id === 'shared' && u.windows.today.spendMicros === 777, 15_000)
    await waitForEvent<WindowUpdate>(bLog, 'windows', (u) => u.id === 'gx-only' && u.windows.today.spendMicros === 888, 15_000)
    await waitForEvent<WindowUpdate>(bLog, 'windows', (u) => u.id === 'g-acct' && u.windows.today.spendMicros === 1665, 15_000)
    // B's settings change goes to B's tenant room only.
    const put = await fetch(`${url}/api/v1/campaigns/gx-only/settings`, { method: 'PUT', headers: { authorization: `Bearer ${bKey.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ dailyBudgetMicros: 5_000_000 }) })
    assert.equal(put.status, 200)
    await waitForEvent<SettingsChange>(bLog, 'settings', (c) => c.id === 'gx-only', 5_000)
    // B's alert transitions (its alert event log, forwarded by the gateway) go to B's sockets only.
    const gxAlert = ruleEvent('firing', { tenant: 'globex', rule: 'gx-burn', entity: 'gx-only', account: 'g-acct', startsAtMs: Date.now(), atMs: Date.now() })
    await new RedisAlertEventLog(env.redis, env.cfg.redis.keyPrefix).submit([gxAlert])
    await waitForEvent<AlertTransitionPush>(bLog, 'alert:transition', (t) => t.fingerprint === gxAlert.fingerprint && t.entity === 'gx-only', 5_000)
    // A campaign of acme named like B's: A gets acme's numbers only.
    const aAdmin = await env.apiKey('acme', 'editor')
    await post(aAdmin.key, [ev('a1', 'shared', 'a-acct', 5)])
    for (const s of [aJwt, aApi]) await waitForEvent<WindowUpdate>(logs.get(s)!, 'windows', (u) => u.id === 'shared', 15_000)
    await new Promise((r) => setTimeout(r, 500)) // anything late of B's would have arrived by now
    for (const s of [aJwt, aApi]) {
      const got = logs.get(s)!
      assert.deepEqual(got.map((e) => e.event), ['windows'], 'acme sockets got one window update, no settings and no alert event')
      const u = got[0]!.payload as WindowUpdate
      assert.deepEqual([u.id, u.windows.today.spendMicros], ['shared', 5], 'acme\'s own campaign, never globex\'s 777')
    }
    assert.ok(!bLog.some((e) => e.event === 'windows' && (e.payload as WindowUpdate).windows.today.spendMicros === 5), 'and globex never sees acme\'s')

    // Forged JWTs and bad credentials are refused at the handshake.
    const exp = Math.floor(Date.now() / 1000) + 600
    const forged: Array<[string, string | undefined, string]> = [
      ['no credentials', undefined, 'ADW_AUTH_MISSING'],
      ['alg none', unsignedJwt({ app_metadata: { tenant: 'globex', role: 'admin' }, exp }), 'ADW_AUTH_INVALID'],
      ['wrong key', await env.jwt('globex', 'admin', { secret: 'attacker-secret-attacker-secret-attacker-secret' }), 'ADW_AUTH_INVALID'],
      ['expired', await new SignJWT({ app_metadata: { tenant: 'globex', role: 'admin' } }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 600).sign(new TextEncoder().encode(TEST_JWT_SECRET)), 'ADW_AUTH_INVALID'],
      ['missing claims', await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(new TextEncoder().encode(TEST_JWT_SECRET)), 'ADW_AUTH_INVALID'],
      ['unknown API key', `adw_${'0'.repeat(16)}_${'A'.repeat(43)}`, 'ADW_AUTH_INVALID'],
      ['unregistered tenant', await env.jwt('initech', 'admin'), 'ADW_AUTH_FORBIDDEN'],
    ]
    for (const [name, token, code] of forged) {
      const err = await connectSocket(url, token).then(
        (s) => {
          s.close()
          return undefined
        },
        (e: Error & { data?: { code?: string } }) => e,
      )
      assert.ok(err, `${name}: the handshake must fail`)
      assert.equal(err.data?.code, code, name)
    }

    // Bad subscriptions are answered with an error, not joined.
    const bad = await aJwt.emitWithAck('subscribe', { entities: [{ level: 'tenant', id: 'globex' } as never] })
    assert.deepEqual(bad.ok ? undefined : bad.error.code, 'ADW_GATEWAY_INVALID_REQUEST')

    // Revoking A's API key closes its socket.
    const closed = new Promise<string>((resolve) => aApi.once('disconnect', (reason) => resolve(reason)))
    const revoke = await fetch(`${url}/api/v1/api-keys/${aKey.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${await env.jwt('acme', 'admin')}` } })
    assert.equal(revoke.status, 204)
    assert.equal(await closed, 'io server disconnect')
  } finally {
    for (const s of sockets) s.close()
    await runtime.close()
    await worker.close()
    await env.close()
  }
})
