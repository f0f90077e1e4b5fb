import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { EVENT_TYPES, type AdEventInput } from '../event.ts'
import { buildCatalogue } from './catalogue.ts'
import { createTrafficGenerator, dayCurve, localHour, tsOf } from './traffic.ts'

const catalogue = buildCatalogue({ seed: 42, tenants: 3, campaigns: 300 })
const T0 = Date.parse('2026-11-21T10:00:00.000Z')
const CONTRACT_KEYS = ['id', 'ts', 'tenant', 'platform', 'account', 'campaign', 'adset', 'ad', 'type', 'impressions', 'clicks', 'spend_micros', 'conversions', 'revenue_micros', 'currency']

describe('createTrafficGenerator', () => {
  it('is deterministic by seed and call sequence', () => {
    const run = (seed: number): AdEventInput[] => {
      const gen = createTrafficGenerator({ catalogue, seed })
      return [...gen.events(T0, 100, 2000), ...gen.events(T0 + 100, 100, 2000)]
    }
    assert.deepEqual(run(1), run(1))
    assert.notDeepEqual(run(1), run(2))
  })

  it('follows the event contract exactly, with consistent non-negative integer metrics', () => {
    const gen = createTrafficGenerator({ catalogue, seed: 5, idPrefix: 'e-test' })
    const events = gen.events(T0, 60_000, 500)
    assert.ok(events.length > 20_000)
    const campaigns = new Map(catalogue.campaigns.map((c) => [`${c.tenant}/${c.id}`, c]))
    const types = new Set<string>()
    for (const e of events) {
      assert.deepEqual(Object.keys(e), CONTRACT_KEYS)
      assert.ok((EVENT_TYPES as readonly string[]).includes(e.type))
      types.add(e.type)
      for (const k of ['impressions', 'clicks', 'spend_micros', 'conversions', 'revenue_micros'] as const) {
        const v = e[k]
        assert.ok(Number.isSafeInteger(v) && (v as number) >= 0, `${k}=${String(v)} in ${e.id}`)
      }
      const c = campaigns.get(`${e.tenant}/${e.campaign}`)
      assert.ok(c, `campaign ${e.tenant}/${e.campaign} is in the catalogue`)
      assert.equal(e.account, c.account)
      assert.equal(e.platform, c.platform)
      assert.equal(e.currency, 'USD')
      const adset = c.adsets.find((s) => s.id === e.adset)
      assert.ok(adset?.ads.includes(e.ad as string))
      // Each type carries exactly its own metrics.
      if (e.type === 'impression') assert.ok(e.impressions! >= 1 && e.impressions! <= 50 && e.clicks === 0 && e.conversions === 0 && e.revenue_micros === 0 && e.spend_micros! > 0)
      if (e.type === 'click') assert.ok(e.clicks === 1 && e.impressions === 0 && e.conversions === 0 && e.spend_micros! > 0)
      if (e.type === 'conversion') assert.ok(e.conversions === 1 && e.clicks === 0 && e.spend_micros === 0 && e.revenue_micros! > 0)
      if (e.type === 'spend') assert.ok(e.impressions === 0 && e.clicks === 0 && e.spend_micros! > 0)
    }
    assert.deepEqual([...types].sort(), ['click', 'conversion', 'impression', 'spend'])
    assert.equal(gen.emitted, events.length)
  })

  it('gives unique ids across calls and keeps ts in the window, sorted, in both formats', () => {
    const gen = createTrafficGenerator({ catalogue, seed: 9, idPrefix: 'e-9-run1' })
    const ids = new Set<string>()
    let iso = 0
    let numeric = 0
    for (let tick = 0; tick < 50; tick++) {
      const start = T0 + tick * 100
      let last = -Infinity
      for (const e of gen.events(start, 100, 3000)) {
        assert.ok(!ids.has(e.id), `duplicate id ${e.id}`)
        ids.add(e.id)
        assert.match(e.id, /^e-9-run1-[0-9a-z]+$/)
        const ts = tsOf(e)
        assert.ok(ts >= start && ts < start + 100)
        assert.ok(ts >= last)
        last = ts
        if (typeof e.ts === 'string') iso++
        else numeric++
      }
    }
    // 70% ISO by default.
    assert.ok(Math.abs(iso / (iso + numeric) - 0.7) < 0.05, `iso share ${iso / (iso + numeric)}`)
  })

  it('produces the requested rate on average (flat curve)', () => {
    const gen = createTrafficGenerator({ catalogue, seed: 3, dayCurve: false })
    const events = gen.events(T0, 600_000, 100)
    // Poisson over 60,000 expected events: 3% is many standard deviations.
    assert.ok(Math.abs(events.length / 60_000 - 1) < 0.03, `${events.length} events`)
  })

  it('clicks and conversions follow each campaign’s CTR and conversion rate', () => {
    const gen = createTrafficGenerator({ catalogue, seed: 4, dayCurve: false })
    const events = gen.events(T0, 600_000, 200)
    let impressions = 0
    let clicks = 0
    let expectedClicks = 0
    const ctr = new Map(catalogue.campaigns.map((c) => [`${c.tenant}/${c.id}`, c.ctr]))
    for (const e of events) {
      impressions += e.impressions ?? 0
      clicks += e.clicks ?? 0
      expectedClicks += (e.impressions ?? 0) * (ctr.get(`${e.tenant}/${e.campaign}`) ?? 0)
    }
    assert.ok(impressions > 0)
    assert.ok(Math.abs(clicks / expectedClicks - 1) < 0.05, `clicks ${clicks} vs expected ${expectedClicks}`)
  })

  it('shapes volume by the hour of day in the account’s time zone', () => {
    const tokyo = catalogue.campaigns.filter((c) => c.timeZone === 'Asia/Tokyo')
    assert.ok(tokyo.length > 0)
    const tokyoKeys = new Set(tokyo.map((c) => `${c.tenant}/${c.id}`))
    const countTokyo = (startIso: string): number => {
      const gen = createTrafficGenerator({ catalogue, seed: 6 })
      return gen.events(Date.parse(startIso), 900_000, 50).filter((e) => tokyoKeys.has(`${e.tenant}/${e.campaign}`)).length
    }
    // 11:00 UTC is 20:00 in Tokyo (evening peak); 19:00 UTC is 04:00 there (night).
    const peak = countTokyo('2026-11-21T11:00:00Z')
    const night = countTokyo('2026-11-21T19:00:00Z')
    assert.ok(peak > 4 * night, `peak ${peak} vs night ${night}`)
  })
})

describe('dayCurve', () => {
  it('has mean 1 over the day, a night trough and an evening peak', () => {
    let sum = 0
    let minHour = 0
    let maxHour = 0
    for (let i = 0; i < 24 * 60; i++) {
      const h = i / 60
      const v = dayCurve(h)
      assert.ok(v > 0)
      sum += v
      if (v < dayCurve(minHour)) minHour = h
      if (v > dayCurve(maxHour)) maxHour = h
    }
    assert.ok(Math.abs(sum / (24 * 60) - 1) < 1e-9)
    assert.ok(minHour >= 2 && minHour <= 6, `trough at ${minHour}`)
    assert.ok(maxHour >= 18 && maxHour <= 22, `peak at ${maxHour}`)
    assert.ok(dayCurve(13) > 3 * dayCurve(4), 'midday well above night')
    assert.ok(dayCurve(maxHour) > 5 * dayCurve(minHour))
    // Wraps around midnight continuously.
    assert.ok(Math.abs(dayCurve(23.999) - dayCurve(0)) < 0.01)
    assert.equal(dayCurve(-1), dayCurve(23))
  })
})

describe('localHour', () => {
  it('converts to local hours, daylight saving included', () => {
    const cases: Array<[string, string, number]> = [
      ['2026-01-15T12:00:00Z', 'UTC', 12],
      ['2026-01-15T12:00:00Z', 'America/New_York', 7], // EST, UTC-5
      ['2026-07-15T12:00:00Z', 'America/New_York', 8], // EDT, UTC-4
      ['2026-01-15T12:00:00Z', 'Europe/Berlin', 13],
      ['2026-07-15T12:00:00Z', 'Europe/Berlin', 14],
      ['2026-01-15T12:00:00Z', 'Asia/Tokyo', 21], // no DST
      ['2026-01-15T12:30:00Z', 'America/Los_Angeles', 4.5],
      ['2026-01-15T23:30:00Z', 'Asia/Tokyo', 8.5], // next local day
    ]
    for (const [iso, zone, hour] of cases) assert.equal(localHour(Date.parse(iso), zone), hour, `${iso} in ${zone}`)
  })
})
