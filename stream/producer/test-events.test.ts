import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EVENT_TYPES } from '../event.ts'
import { evenShardIndex } from '../kpl.ts'
import {
  generateTestRecords,
  INVALID_CATEGORIES,
  truthCampaignKey,
  truthMinuteKey,
  type InvalidCategory,
  type TestRecord,
  type Totals,
} from './test-events.ts'

const START = Date.parse('2026-11-21T10:00:00.000Z')
const MAX_FUTURE_SEC = 300
const MAX_LATENESS_SEC = 86_400
const KNOWN = ['acme', 'globex', 'initech']

/**
 * A brute-force checker written from the event contract alone: returns every rule a record
 * breaks (empty when valid) and the parsed object.
 */
function check(record: TestRecord): { broken: InvalidCategory[]; body?: Record<string, unknown> } {
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(record.data))
  } catch {
    return { broken: ['bad_json'] }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { broken: ['bad_json'] }
  const o = body as Record<string, unknown>
  const broken = new Set<InvalidCategory>()
  for (const f of ['id', 'ts', 'tenant', 'platform', 'account', 'campaign', 'type']) if (!(f in o)) broken.add('missing_field')
  for (const f of ['id', 'tenant', 'platform', 'account', 'campaign', 'type', 'adset', 'ad', 'currency']) if (f in o && typeof o[f] !== 'string') broken.add('wrong_type')
  if ('ts' in o && typeof o.ts !== 'string' && typeof o.ts !== 'number') broken.add('wrong_type')
  for (const m of ['impressions', 'clicks', 'spend_micros', 'conversions', 'revenue_micros']) {
    if (!(m in o)) continue
    const v = o[m]
    if (typeof v !== 'number' || !Number.isInteger(v)) broken.add('wrong_type')
    else if (v < 0) broken.add('negative_amount')
  }
  if (typeof o.type === 'string' && !(EVENT_TYPES as readonly string[]).includes(o.type)) broken.add('unknown_type')
  if (typeof o.tenant === 'string' && !KNOWN.includes(o.tenant)) broken.add('unknown_tenant')
  if (typeof o.ts === 'string' || typeof o.ts === 'number') {
    const ts = typeof o.ts === 'number' ? o.ts : Date.parse(o.ts)
    if (ts > START + MAX_FUTURE_SEC * 1000) broken.add('future_ts')
    if (ts < START - MAX_LATENESS_SEC * 1000) broken.add('too_late')
  }
  return { broken: [...broken], body: o }
}

function generate(count: number, invalidRate: number, duplicateRate: number, seed = 1) {
  return generateTestRecords({ count, invalidRate, duplicateRate, seed, startMs: START, tenants: KNOWN, shards: 4, maxFutureSec: MAX_FUTURE_SEC, maxLatenessSec: MAX_LATENESS_SEC })
}

describe('generateTestRecords', () => {
  it('is deterministic by seed', () => {
    const a = generate(500, 0.1, 0.05, 7)
    const b = generate(500, 0.1, 0.05, 7)
    const c = generate(500, 0.1, 0.05, 8)
    assert.deepEqual(a.records, b.records)
    assert.deepEqual(a.truth, b.truth)
    assert.notDeepEqual(a.records, c.records)
  })

  it('produces the requested invalid and duplicate fractions', () => {
    const { records, truth } = generate(5000, 0.08, 0.03)
    assert.equal(records.length, 5000)
    assert.equal(truth.invalid.length, 400)
    assert.equal(truth.duplicates.length, 150)
    assert.equal(truth.validUniqueCount, 5000 - 400 - 150)
    // Categories take turns: each has 400 / 8 = 50.
    for (const category of INVALID_CATEGORIES) assert.equal(truth.invalid.filter((i) => i.category === category).length, 50, category)
  })

  it('tags each invalid record with the one rule it breaks, and only invalid records break rules', () => {
    const { records, truth } = generate(3000, 0.2, 0.05)
    const invalidAt = new Map(truth.invalid.map((i) => [i.index, i]))
    for (const [index, record] of records.entries()) {
      const { broken } = check(record)
      const tagged = invalidAt.get(index)
      if (tagged === undefined) assert.deepEqual(broken, [], `record ${index} should be valid: ${record.data.toString()}`)
      else {
        assert.deepEqual(broken, [tagged.category], `record ${index}: ${record.data.toString('latin1')}`)
        assert.equal(tagged.partitionKey, record.partitionKey)
      }
    }
  })

  it('re-sends earlier valid records byte for byte', () => {
    const { records, truth } = generate(2000, 0.1, 0.1)
    const invalid = new Set(truth.invalid.map((i) => i.index))
    for (const d of truth.duplicates) {
      assert.ok(d.originalIndex < d.index)
      assert.ok(!invalid.has(d.originalIndex))
      assert.ok(records[d.index]!.data.equals(records[d.originalIndex]!.data))
      assert.equal(records[d.index]!.partitionKey, records[d.originalIndex]!.partitionKey)
      assert.equal(JSON.parse(records[d.index]!.data.toString()).id, d.id)
    }
  })

  it('has truth equal to a brute-force recount of valid unique events', () => {
    const { records, truth } = generate(4000, 0.1, 0.1, 3)
    const seen = new Set<string>()
    const perCampaign = new Map<string, Totals>()
    const perMinute = new Map<string, Totals>()
    const add = (map: Map<string, Totals>, key: string, o: Record<string, unknown>): void => {
      const t = map.get(key) ?? { impressions: 0, clicks: 0, spendMicros: 0, conversions: 0, revenueMicros: 0 }
      t.impressions += (o.impressions as number | undefined) ?? 0
      t.clicks += (o.clicks as number | undefined) ?? 0
      t.spendMicros += (o.spend_micros as number | undefined) ?? 0
      t.conversions += (o.conversions as number | undefined) ?? 0
      t.revenueMicros += (o.revenue_micros as number | undefined) ?? 0
      map.set(key, t)
    }
    for (const record of records) {
      const { broken, body } = check(record)
      if (broken.length > 0 || body === undefined) continue
      const id = body.id as string
      if (seen.has(id)) continue
      seen.add(id)
      const ts = typeof body.ts === 'number' ? body.ts : Date.parse(body.ts as string)
      // Spread over the 30 minutes before the start.
      assert.ok(ts < START && ts > START - 30 * 60_000)
      add(perCampaign, truthCampaignKey(body.tenant as string, body.campaign as string), body)
      add(perMinute, truthMinuteKey(body.tenant as string, body.campaign as string, Math.floor(ts / 60_000) * 60_000), body)
    }
    assert.equal(truth.validUniqueCount, seen.size)
    assert.deepEqual(truth.perCampaign, perCampaign)
    assert.deepEqual(truth.perMinute, perMinute)
    assert.ok(perMinute.size > perCampaign.size, 'events spread over several minutes')
  })

  it('spreads partition keys over every shard and counts them', () => {
    const { records, truth } = generate(2000, 0.05, 0.05)
    assert.equal(truth.recordsPerShard?.length, 4)
    assert.equal(truth.recordsPerShard?.reduce((a, b) => a + b, 0), 2000)
    for (const n of truth.recordsPerShard ?? []) assert.ok(n > 200, `shard count ${n}`)
    assert.equal(records.filter((r) => evenShardIndex(r.partitionKey, 4) === 0).length, truth.recordsPerShard?.[0])
    for (const r of records) assert.match(r.partitionKey, /^(acme|globex|initech)\/cmp_\d+$/)
  })

  it('handles the edges: nothing, all invalid, bad rates', () => {
    assert.equal(generate(0, 0.1, 0.1).records.length, 0)
    const allInvalid = generate(16, 1, 0)
    assert.equal(allInvalid.truth.invalid.length, 16)
    assert.equal(allInvalid.truth.validUniqueCount, 0)
    assert.throws(() => generate(10, 0.7, 0.5), RangeError)
    assert.throws(() => generate(10, 0, 1), /duplicates need/)
  })

  it('honours a tight lateness: timestamps stay within half of it', () => {
    const { records, truth } = generateTestRecords({ count: 300, invalidRate: 0, duplicateRate: 0, seed: 2, startMs: START, tenants: 2, maxLatenessSec: 600 })
    assert.equal(truth.validUniqueCount, 300)
    for (const r of records) {
      const o = JSON.parse(r.data.toString())
      const ts = typeof o.ts === 'number' ? o.ts : Date.parse(o.ts)
      assert.ok(ts >= START - 300_000 && ts < START)
    }
  })
})
