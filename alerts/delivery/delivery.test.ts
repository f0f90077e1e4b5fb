import { test } from 'node:test'
import assert from 'node:assert/strict'
import { NotifyError } from '../errors.ts'
import type { Notification, Notifier } from '../notifiers/notifier.ts'
import { silentLog, T0 } from '../testing/fixtures.ts'
import { CircuitBreaker } from './circuit-breaker.ts'
import { newDelivery, type Delivery, type DeliveryContext } from './delivery-stage.ts'
import { RateLimitStage } from './rate-limit-stage.ts'
import { RetryStage } from './retry-stage.ts'
import { RateLimiters, TokenBucket } from './token-bucket.ts'
import { laneOf } from '../outbox-deliverer.ts'

/** A clock whose sleeps advance it at once (and record how long each was). */
class FakeClock {
  nowMs = T0
  readonly sleeps: number[] = []
  now = () => this.nowMs
  sleep = async (ms: number) => {
    this.sleeps.push(ms)
    this.nowMs += ms
  }
}

test('table: token bucket reservations', () => {
  // 1 per second, burst 1 (Slack per channel): the first goes now, then one a second.
  const b = new TokenBucket(1, 1, T0)
  assert.deepEqual([b.reserve(T0), b.reserve(T0), b.reserve(T0)], [0, 1000, 2000])
  // 2 per second, burst 2, after idling: two at once, then 500 ms apart.
  const p = new TokenBucket(2, 2, T0)
  assert.deepEqual([p.reserve(T0 + 5000), p.reserve(T0 + 5000), p.reserve(T0 + 5000)], [0, 0, 500])
  // A Retry-After pause holds even a full bucket.
  const r = new TokenBucket(10, 10, T0)
  r.pauseUntil(T0 + 3000)
  assert.equal(r.reserve(T0 + 1000), 2000)
})

test('table: circuit breaker', () => {
  const b = new CircuitBreaker(3, 10_000)
  const steps: Array<[string, () => unknown, unknown]> = [
    ['closed: tries go', () => b.waitMs(T0), 0],
    ['two failures keep it closed', () => (b.failure(T0), b.failure(T0), b.state), 'closed'],
    ['the third opens it', () => (b.failure(T0), b.state), 'open'],
    ['open: wait the rest of 10 s', () => b.waitMs(T0 + 4000), 6000],
    ['after 10 s: one probe (half-open)', () => [b.waitMs(T0 + 10_000), b.state], [0, 'half-open']],
    ['meanwhile other lanes wait for its outcome, a second at a time', () => [b.waitMs(T0 + 10_000), b.waitMs(T0 + 15_000)], [1000, 1000]],
    ['a failed probe opens it again at once', () => (b.failure(T0 + 10_500), b.state), 'open'],
    ['the next probe after another 10 s', () => [b.waitMs(T0 + 20_499), b.waitMs(T0 + 20_500), b.waitMs(T0 + 20_500)], [1, 0, 1000]],
    ['a probe with no outcome (its lane stopped) makes room for another after 10 s', () => [b.waitMs(T0 + 29_900), b.waitMs(T0 + 30_500)], [600, 0]],
    ['which fails: open again', () => (b.failure(T0 + 10_000), b.state), 'open'],
    ['a successful probe closes it', () => (b.waitMs(T0 + 20_000), b.success(), b.state), 'closed'],
  ]
  for (const [name, act, expected] of steps) assert.deepEqual(act(), expected, name)
})

const note: Notification = { id: '1-0', tenant: 'acme', receiver: 'hook', groupKey: 'g', groupLabels: {}, alerts: [], createdAtMs: T0 }

function contextWith(clock: FakeClock, notifier: Notifier | undefined, o: { maxAttempts?: number; breaker?: CircuitBreaker; leaseWaitMs?: (nowMs: number) => number } = {}): DeliveryContext {
  return {
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    signal: new AbortController().signal,
    sendSignal: new AbortController().signal,
    notifier: () => notifier,
    breaker: o.breaker ?? new CircuitBreaker(100, 10_000),
    leaseWaitMs: o.leaseWaitMs ?? (() => 0),
    limiters: new RateLimiters(),
    retry: { baseMs: 1000, maxMs: 8000, maxAttempts: o.maxAttempts ?? 10 },
    recorder: { delivered: async () => undefined, deadLettered: async () => undefined },
    log: silentLog,
  }
}

/** A notifier that fails with the given errors in turn, then succeeds. */
function flaky(errors: NotifyError[]): Notifier & { calls: number } {
  const n = {
    receiver: 'hook',
    type: 'webhook' as const,
    granularity: 'group' as const,
    rateLimit: { key: 'k', perSecond: 1, burst: 1 },
    parallelism: 1,
    calls: 0,
    async send() {
      const e = errors[n.calls++]
      if (e !== undefined) throw e
    },
  }
  return n
}

const fail500 = () => new NotifyError('ADW_NOTIFY_FAILED', '500', { retryable: true, status: 500 })

test('table: retries with backoff, Retry-After, dead letters', async () => {
  const cases: Array<[string, NotifyError[], { maxAttempts?: number }, Partial<Delivery>, number[]]> = [
    // Backoff doubles with equal jitter (random 0.5: 75% of the cap): 750, 1500, 3000.
    ['three 500s then success', [fail500(), fail500(), fail500()], {}, { outcome: 'delivered', attempts: 4 }, [750, 1500, 3000]],
    // A 429 waits at least its Retry-After (5 s > the 750 ms backoff), then the retry waits out the paused bucket.
    ['429 honours Retry-After', [new NotifyError('ADW_NOTIFY_RATE_LIMITED', '429', { retryable: true, status: 429, retryAfterMs: 5000 })], {}, { outcome: 'delivered', attempts: 2 }, [5000]],
    // A rejection is not retried.
    ['400 goes to the dead letters at once', [new NotifyError('ADW_NOTIFY_REJECTED', '400', { retryable: false, status: 400 })], {}, { outcome: 'dead-letter', attempts: 1 }, []],
    // After maxAttempts failed tries: dead letter.
    ['gives up after maxAttempts', [fail500(), fail500(), fail500()], { maxAttempts: 3 }, { outcome: 'dead-letter', attempts: 3 }, [750, 1500]],
  ]
  for (const [name, errors, o, expected, sleeps] of cases) {
    const clock = new FakeClock()
    const d = await new RetryStage().run(contextWith(clock, flaky(errors), o), newDelivery(note))
    assert.deepEqual({ outcome: d.outcome, attempts: d.attempts }, expected, name)
    assert.deepEqual(clock.sleeps.filter((s) => s > 0), sleeps, `${name}: waits`)
  }
})

test('an open breaker holds the notification without spending tries', async () => {
  const clock = new FakeClock()
  const breaker = new CircuitBreaker(2, 30_000)
  const notifier = flaky([fail500(), fail500(), fail500()])
  const d = await new RetryStage().run(contextWith(clock, notifier, { breaker, maxAttempts: 10 }), newDelivery(note))
  assert.equal(d.outcome, 'delivered')
  assert.equal(d.attempts, 4)
  // After 2 failures it opens: the third try waits the rest of the 30 s open time (not just backoff); it fails, reopens; the fourth waits 30 s again.
  assert.ok(clock.sleeps.filter((s) => s >= 25_000).length >= 2, `waits: ${clock.sleeps.join(', ')}`)
})

test('a send waits while the tenant lease has too little time left, without spending tries, and not at all once the lane stops', async () => {
  const clock = new FakeClock()
  // The lease has too little time left until it is renewed at T0 + 4 s.
  const leaseWaitMs = (nowMs: number) => (nowMs < T0 + 4_000 ? 250 : 0)
  const notifier = flaky([])
  const d = await new RetryStage().run(contextWith(clock, notifier, { leaseWaitMs }), newDelivery(note))
  assert.deepEqual({ outcome: d.outcome, attempts: d.attempts, calls: notifier.calls }, { outcome: 'delivered', attempts: 1, calls: 1 })
  assert.equal(clock.sleeps.length, 16, 'looked again every 250 ms until the renewal at T0 + 4 s')
  assert.ok(clock.nowMs >= T0 + 4_000)
  // Waiting for the lease does not hold a half-open breaker's probe (nor the receiver's other lanes behind it).
  const probeClock = new FakeClock()
  const breaker = new CircuitBreaker(1, 30_000)
  breaker.failure(T0 - 30_000) // open until T0: half-open from then
  const probe = flaky([])
  const sent = await new RetryStage().run(contextWith(probeClock, probe, { breaker, leaseWaitMs }), newDelivery(note))
  assert.deepEqual({ outcome: sent.outcome, calls: probe.calls, breaker: breaker.state }, { outcome: 'delivered', calls: 1, breaker: 'closed' })
  assert.equal(probeClock.nowMs, T0 + 4_000, 'sent as soon as the lease allowed, not after the breaker\'s open time')
  // Nor does it reserve a rate-limit token per look: a retry (after a 500 and 750 ms of backoff)
  // that waits for the lease until T0 + 3 s reserves one token.
  const retryClock = new FakeClock()
  let reserved = 0
  const once = flaky([fail500()])
  const shortLease = (nowMs: number) => (nowMs > T0 && nowMs < T0 + 3_000 ? 250 : 0)
  const retryCtx = { ...contextWith(retryClock, once, { leaseWaitMs: shortLease }), limiters: Object.assign(new RateLimiters(), { reserve: () => (reserved++, 0) }) }
  const retried = await new RetryStage().run(retryCtx, newDelivery(note))
  assert.deepEqual({ outcome: retried.outcome, attempts: retried.attempts, reserved }, { outcome: 'delivered', attempts: 2, reserved: 1 })
  // A lease that is lost: the lane stops (signal aborted) and nothing is sent.
  const stop = new AbortController()
  const lost = flaky([])
  const ctx = { ...contextWith(new FakeClock(), lost, { leaseWaitMs: () => 250 }), signal: stop.signal, sleep: async () => stop.abort() }
  const pending = await new RetryStage().run(ctx, newDelivery(note))
  assert.deepEqual({ outcome: pending.outcome, attempts: pending.attempts, calls: lost.calls }, { outcome: 'pending', attempts: 0, calls: 0 })
})

test('a receiver that left the routing config dead-letters; the rate limit stage waits for a token', async () => {
  const clock = new FakeClock()
  const gone = await new RetryStage().run(contextWith(clock, undefined), newDelivery(note))
  assert.equal(gone.outcome, 'dead-letter')
  assert.equal(gone.error?.code, 'ADW_NOTIFY_RECEIVER_UNKNOWN')
  const ctx = contextWith(clock, flaky([]))
  for (let i = 0; i < 3; i++) await new RateLimitStage().run(ctx, newDelivery(note))
  // 1 per second, burst 1: the 2nd and 3rd wait a second each.
  assert.deepEqual(clock.sleeps, [1000, 1000])
})

test('a group always maps to the same lane, and groups spread over the lanes', () => {
  const key = '{alertname="high-cpc",account="act_1"}'
  assert.equal(laneOf(key, 4), laneOf(key, 4))
  const used = new Set(Array.from({ length: 100 }, (_, i) => laneOf(`{alertname="r",account="act_${i}"}`, 4)))
  assert.deepEqual([...used].sort(), [0, 1, 2, 3])
})
