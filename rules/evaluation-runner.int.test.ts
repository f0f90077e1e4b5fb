import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import type { AlertEvent, AlertEventSink } from '../alerts/alert-event.ts'
import { createClickHouse } from '../core/clickhouse.ts'
import { createLogger } from '../core/log.ts'
import type { AdEventInput } from '../stream/event.ts'
import { putEvents } from '../stream/producer/put-records.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { dropTestData } from '../stream/testing/cleanup.ts'
import { createTestStream, integrationConfig, requireServers, waitFor } from '../stream/testing/integration-env.ts'
import { redisAccountedRecords } from '../stream/testing/truth-check.ts'
import { startWorker } from '../stream/worker-runtime.ts'
import { createRulesRuntime } from './runtime.ts'

const MIN = 60_000
const T0 = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN // history in the recent past, minute aligned
const SPIKE_START = T0 + 5 * MIN
const SPIKE_MINUTES = 6
const THRESHOLD = 80 // dollars over 5 minutes
const SPIKED = ['c01', 'c02', 'c03'] // $6/min normally, $60/min during the spike: one spike minute crosses $80
const NEAR_MISS = 'c04' // $15/min during the spike: at most 5 × 15 = $75, never above $80
const CAMPAIGNS = ['c01', 'c02', 'c03', 'c04', 'c05', 'c06', 'c07', 'c08']

function traffic(): AdEventInput[] {
  const out: AdEventInput[] = []
  let n = 0
  for (let m = 0; m < 16; m++) {
    const minute = T0 + m * MIN
    const inSpike = minute >= SPIKE_START && minute < SPIKE_START + SPIKE_MINUTES * MIN
    for (const c of CAMPAIGNS) {
      const perEvent = inSpike && SPIKED.includes(c) ? 10_000_000 : inSpike && c === NEAR_MISS ? 2_500_000 : 1_000_000
      for (let s = 0; s < 6; s++) {
        out.push({ id: `r-${n++}`, ts: minute + s * 10_000, tenant: 'acme', platform: 'meta', account: 'act_1', campaign: c, type: 'spend', impressions: 10, spend_micros: perEvent, currency: 'USD' })
      }
    }
  }
  return out
}

test('"spend_5m > 80 for 2m" fires for exactly the spiked campaigns, 2 minutes after, and resolves after the spike', { timeout: 180_000 }, async () => {
  const { cfg } = integrationConfig('rules')
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, 2)
  const redis = new Redis(cfg.redis.url)
  const ch = createClickHouse(cfg.clickhouse)
  await registerTenants(redis, cfg.redis.keyPrefix, ['acme'])
  const log = createLogger('error', 'rules-test')
  const worker = await startWorker(cfg, log)
  const events: AlertEvent[] = []
  const sink: AlertEventSink = { submit: async (e) => void events.push(...e) }
  const rules = createRulesRuntime(cfg, log, { sink })
  try {
    const records = traffic()
    await putEvents(kinesis, cfg.kinesis.streamName, records, { concurrency: 2 })
    await waitFor('all events folded', async () => (await redisAccountedRecords(redis, cfg)) === records.length, 60_000)
    await rules.rules.save('acme', {
      id: 'spend-spike', name: 'Spend spike', level: 'campaign', severity: 'critical', for: '2m',
      labels: { team: 'growth' }, annotations: { summary: 'spend_5m ${{spend_5m}} on {{entity}}' },
      conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: THRESHOLD }] },
    }, 'test')
    for (let t = T0; t <= T0 + 16 * MIN; t += 10_000) await rules.runner.tick(t)

    const byKind = (kind: string) => events.filter((e) => e.kind === kind)
    assert.deepEqual(byKind('firing').map((e) => e.entity).sort(), SPIKED, 'fires for exactly the spiked campaigns')
    assert.deepEqual(byKind('pending').map((e) => e.entity).sort(), SPIKED, 'the near miss never even goes pending')
    assert.deepEqual(byKind('resolved').map((e) => e.entity).sort(), SPIKED)
    assert.equal(byKind('cancelled').length, 0)
    for (const e of byKind('pending')) assert.equal(e.atMs, SPIKE_START, 'pending on the first tick of the spike minute')
    for (const e of byKind('firing')) {
      assert.equal(e.atMs, SPIKE_START + 2 * MIN, 'fires 2 minutes later, not before')
      // At +2m the 5m window holds 2 normal minutes ($12) and 3 spike minutes ($180).
      assert.equal(e.explanation, 'spend_5m = 192 > 80 ✓')
      assert.deepEqual(e.values, { spend_5m: 192 })
      assert.equal(e.annotations.summary, `spend_5m $192 on ${e.entity}`)
      assert.equal(e.severity, 'critical')
      assert.equal(e.labels.team, 'growth')
    }
    for (const e of byKind('resolved')) {
      // The window leaves the last spike minute (S+5) behind at minute S+10.
      assert.equal(e.atMs, SPIKE_START + 10 * MIN, 'resolves once the spike is out of the 5m window')
      assert.equal(e.startsAtMs, SPIKE_START + 2 * MIN)
      assert.equal(e.endsAtMs, SPIKE_START + 10 * MIN)
    }
    const fingerprints = new Set(byKind('firing').map((e) => e.fingerprint))
    assert.equal(fingerprints.size, 3, 'one identity per campaign')
    assert.deepEqual(new Set(byKind('resolved').map((e) => e.fingerprint)), fingerprints)
  } finally {
    await worker.close()
    await rules.close()
    await dropTestData(cfg, { redis, ch, kinesis })
  }
})
