import { test } from 'node:test'
import assert from 'node:assert/strict'
import { io as connect } from 'socket.io-client'
import { buildTestGateway } from '../testing/test-gateway.ts'
import { HandshakeLimiter } from './handshake-limiter.ts'

test('the handshake limiter counts per bucket in fixed windows, gives counts back, and stays bounded', () => {
  let now = 120_000
  const l = new HandshakeLimiter(60_000, () => now, 3)
  assert.deepEqual([l.take('a', 2), l.take('a', 2), l.take('a', 2)], [true, true, false])
  assert.equal(l.take('b', 2), true, 'each bucket has its own count')
  l.giveBack('a')
  l.giveBack('a')
  assert.equal(l.take('a', 2), true, 'counts given back make room')
  assert.equal(l.retryAfterSec(), 60)
  now += 59_500
  assert.equal(l.retryAfterSec(), 1)
  assert.equal(l.take('a', 2), false, 'still the same window')
  now += 500
  assert.equal(l.take('a', 2), true, 'a new window starts over')
  // Past maxBuckets, new buckets pass uncounted; the ones counted keep their counts.
  l.take('c', 1)
  l.take('d', 1)
  assert.deepEqual([l.take('e', 1), l.take('e', 1)], [true, true])
  assert.equal(l.take('c', 1), false)
})

test('socket handshakes are rate limited like REST: per IP while they fail, per credential when they succeed', async () => {
  const t = await buildTestGateway({ env: { ADW_GATEWAY_HOST: '127.0.0.1', ADW_GATEWAY_PORT: '0', ADW_GATEWAY_RATE_LIMIT_KEY_MAX: '2', ADW_GATEWAY_RATE_LIMIT_IP_MAX: '2' } })
  const url = await t.gateway.listen()
  let lastRefusal: { code?: string; retryAfterSec?: number } | undefined
  const handshake = (token: string | undefined) =>
    new Promise<string>((resolve) => {
      const s = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...(token === undefined ? {} : { auth: { token } }) })
      s.once('connect', () => {
        s.close()
        resolve('ok')
      })
      s.once('connect_error', (err: Error & { data?: { code?: string; retryAfterSec?: number } }) => {
        s.close()
        lastRefusal = err.data
        resolve(err.data?.code ?? err.message)
      })
    })
  try {
    const acme = await t.jwt('acme', 'viewer')
    assert.deepEqual([await handshake(acme), await handshake(acme), await handshake(acme)], ['ok', 'ok', 'ADW_GATEWAY_RATE_LIMITED'])
    assert.ok((lastRefusal?.retryAfterSec ?? 0) >= 1, 'the refusal says how long to wait')
    assert.equal(await handshake(await t.jwt('globex', 'viewer')), 'ok', 'another credential has its own budget')
    // Guessing credentials from one IP: refused twice for the credential, then for the rate.
    const guess = `adw_${'0'.repeat(16)}_${'A'.repeat(43)}`
    assert.deepEqual([await handshake(guess), await handshake(undefined), await handshake(guess)], ['ADW_AUTH_INVALID', 'ADW_AUTH_MISSING', 'ADW_GATEWAY_RATE_LIMITED'])
    // Successful handshakes never used the IP's budget, and REST keeps its own counts.
    assert.equal((await t.gateway.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${await t.jwt('globex', 'viewer')}` } })).statusCode, 200)
    // Once the IP's budget is spent, its handshakes are refused before their credential is checked.
    assert.equal(await handshake(await t.jwt('globex', 'viewer')), 'ADW_GATEWAY_RATE_LIMITED')
  } finally {
    await t.close()
  }
  // Handshakes sent at once are counted before they are checked: no more than the budget get a check.
  const u = await buildTestGateway({ env: { ADW_GATEWAY_HOST: '127.0.0.1', ADW_GATEWAY_PORT: '0', ADW_GATEWAY_RATE_LIMIT_IP_MAX: '2' } })
  try {
    const url2 = await u.gateway.listen()
    const burst = await Promise.all(Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
      const s = connect(url2, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: `adw_${'0'.repeat(16)}_${'A'.repeat(43)}` } })
      s.once('connect', () => (s.close(), resolve('ok')))
      s.once('connect_error', (err: Error & { data?: { code?: string } }) => (s.close(), resolve(err.data?.code ?? err.message)))
    })))
    assert.deepEqual(burst.sort(), ['ADW_AUTH_INVALID', 'ADW_AUTH_INVALID', 'ADW_GATEWAY_RATE_LIMITED', 'ADW_GATEWAY_RATE_LIMITED', 'ADW_GATEWAY_RATE_LIMITED', 'ADW_GATEWAY_RATE_LIMITED'])
  } finally {
    await u.close()
  }
})
