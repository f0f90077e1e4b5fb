import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AdEventInput } from '../event.ts'
import {
  ANOMALY_KINDS,
  indexAnomalies,
  maxRateFactor,
  planAnomalies,
  rateFactorAt,
  spendFactorAt,
  type Anomaly,
  type AnomalyKind,
} from './anomalies.ts'
import { buildCatalogue } from './catalogue.ts'
import { createTrafficGenerator, tsOf } from './traffic.ts'

const catalogue = buildCatalogue({ seed: 42, tenants: 2, campaigns: 40 })
const T0 = Date.parse('2026-11-21T10:00:00.000Z')
const MIN = 60_000

function anomaly(kind: AnomalyKind, factor: number, startMs = T0 + 10 * MIN, endMs = T0 + 20 * MIN): Anomaly {
  return { kind, tenant: 'acme', account: 'act_1', campaign: 'cmp_1', startMs, endMs, factor }
}

describe('anomaly factors', () => {
  // [description, anomaly, type, ts, expected rate factor, expected spend factor]
  const cases: Array<[string, Anomaly, AdEventInput['type'], number, number, number]> = [
    ['spike before its window: untouched', anomaly('spend_spike', 5), 'impression', T0 + 10 * MIN - 1, 1, 1],
    ['spike at its start: applies (start inclusive)', anomaly('spend_spike', 5), 'impression', T0 + 10 * MIN, 1, 5],
    ['spike at its end: over (end exclusive)', anomaly('spend_spike', 5), 'click', T0 + 20 * MIN, 1, 1],
    ['spike scales click spend too', anomaly('spend_spike', 5), 'click', T0 + 15 * MIN, 1, 5],
    ['burst multiplies the click rate only', anomaly('click_burst', 8), 'click', T0 + 15 * MIN, 8, 1],
    ['burst leaves impressions alone', anomaly('click_burst', 8), 'impression', T0 + 15 * MIN, 1, 1],
    ['stop silences every type', anomaly('spend_stop', 0), 'conversion', T0 + 15 * MIN, 0, 1],
    ['drift is 1 at its start', anomaly('cpc_drift', 3), 'click', T0 + 10 * MIN, 1, 1],
    ['drift is halfway at mid-window', anomaly('cpc_drift', 3), 'click', T0 + 15 * MIN, 1, 2],
    ['drift touches clicks only', anomaly('cpc_drift', 3), 'impression', T0 + 15 * MIN, 1, 1],
  ]
  for (const [name, a, type, ts, rate, spend] of cases) {
    it(name, () => {
      assert.equal(rateFactorAt([a], type, ts), rate)
      assert.equal(spendFactorAt([a], type, ts), spend)
    })
  }

  it('bounds the rate over a window for thinning', () => {
    const a = anomaly('click_burst', 8)
    assert.equal(maxRateFactor([a], 'click', T0, T0 + 10 * MIN), 1) // ends exactly where the burst starts
    assert.equal(maxRateFactor([a], 'click', T0, T0 + 10 * MIN + 1), 8)
    assert.equal(maxRateFactor(undefined, 'click', T0, T0 + MIN), 1)
  })

  it('rejects malformed anomalies with their index', () => {
    assert.throws(() => indexAnomalies([anomaly('spend_spike', 2, T0, T0)]), /anomalies\[0\]: endMs/)
    assert.throws(() => indexAnomalies([anomaly('spend_spike', 2), anomaly('click_burst', -1)]), /anomalies\[1\]\.factor/)
    assert.throws(() => indexAnomalies([{ ...anomaly('spend_spike', 2), kind: 'boom' as AnomalyKind }]), /unknown kind/)
  })
})

describe('planAnomalies', () => {
  it('places one of each kind on distinct campaigns inside the span, deterministically', () => {
    const opts = { seed: 1, startMs: T0, durationMs: 60 * MIN }
    const plan = planAnomalies(catalogue, opts)
    assert.deepEqual(plan, planAnomalies(catalogue, opts))
    assert.deepEqual(plan.map((a) => a.kind), [...ANOMALY_KINDS])
    assert.equal(new Set(plan.map((a) => `${a.tenant}/${a.campaign}`)).size, plan.length)
    for (const a of plan) {
      assert.ok(a.startMs >= T0 + 6 * MIN && a.endMs <= T0 + 60 * MIN && a.endMs > a.startMs)
      const c = catalogue.campaigns.find((x) => x.tenant === a.tenant && x.id === a.campaign)
      assert.equal(c?.account, a.account)
      assert.equal(a.factor === 0, a.kind === 'spend_stop')
    }
  })
})

describe('anomalies applied by traffic', () => {
  const small = buildCatalogue({ seed: 42, tenants: 1, campaigns: 6 })
  const target = [...small.campaigns].sort((a, b) => b.weight - a.weight)[0]!
  const start = T0 + 10 * MIN
  const end = T0 + 20 * MIN
  const on = (kind: AnomalyKind, factor: number): Anomaly => ({ kind, tenant: target.tenant, account: target.account, campaign: target.id, startMs: start, endMs: end, factor })
  const run = (anomalies: Anomaly[]): { inside: AdEventInput[]; outside: AdEventInput[]; others: number } => {
    const gen = createTrafficGenerator({ catalogue: small, seed: 8, anomalies, dayCurve: false })
    const events = gen.events(T0, 30 * MIN, 60)
    const mine = events.filter((e) => e.tenant === target.tenant && e.campaign === target.id)
    return {
      inside: mine.filter((e) => tsOf(e) >= start && tsOf(e) < end),
      outside: mine.filter((e) => tsOf(e) < start || tsOf(e) >= end),
      others: events.length - mine.length,
    }
  }
  const perMinute = (events: AdEventInput[], minutes: number, pick: (e: AdEventInput) => number): number => events.reduce((s, e) => s + pick(e), 0) / minutes

  it('spend_stop: no events at all inside the window, normal traffic outside', () => {
    const { inside, outside } = run([on('spend_stop', 0)])
    assert.equal(inside.length, 0)
    assert.ok(outside.length > 5000, `${outside.length} events outside`)
  })

  it('click_burst: clicks ×k inside only; impressions unchanged', () => {
    const { inside, outside } = run([on('click_burst', 6)])
    const clicksIn = perMinute(inside, 10, (e) => e.clicks ?? 0)
    const clicksOut = perMinute(outside, 20, (e) => e.clicks ?? 0)
    assert.ok(Math.abs(clicksIn / clicksOut - 6) < 1, `click ratio ${clicksIn / clicksOut}`)
    const imprIn = perMinute(inside, 10, (e) => e.impressions ?? 0)
    const imprOut = perMinute(outside, 20, (e) => e.impressions ?? 0)
    assert.ok(Math.abs(imprIn / imprOut - 1) < 0.15, `impression ratio ${imprIn / imprOut}`)
  })

  it('spend_spike: spend per impression ×k inside only', () => {
    const { inside, outside } = run([on('spend_spike', 4)])
    const cpm = (events: AdEventInput[]): number => {
      const imp = events.filter((e) => e.type === 'impression')
      return imp.reduce((s, e) => s + (e.spend_micros ?? 0), 0) / imp.reduce((s, e) => s + (e.impressions ?? 0), 0)
    }
    assert.ok(Math.abs(cpm(inside) / cpm(outside) - 4) < 0.2, `cpm ratio ${cpm(inside) / cpm(outside)}`)
  })

  it('cpc_drift: CPC rises linearly through the window and is normal outside', () => {
    const { inside, outside } = run([on('cpc_drift', 3)])
    const cpc = (events: AdEventInput[]): number => {
      const clicks = events.filter((e) => e.type === 'click')
      return clicks.reduce((s, e) => s + (e.spend_micros ?? 0), 0) / clicks.length
    }
    const firstHalf = inside.filter((e) => tsOf(e) < start + 5 * MIN)
    const lastHalf = inside.filter((e) => tsOf(e) >= start + 5 * MIN)
    const base = cpc(outside)
    // Mean multiplier over [0, ½] of a 1→3 ramp is 1.5, over [½, 1] it is 2.5.
    assert.ok(Math.abs(cpc(firstHalf) / base - 1.5) < 0.2, `first half ${cpc(firstHalf) / base}`)
    assert.ok(Math.abs(cpc(lastHalf) / base - 2.5) < 0.3, `last half ${cpc(lastHalf) / base}`)
  })

  it('leaves other campaigns untouched', () => {
    const baseline = run([])
    const stopped = run([on('spend_stop', 0)])
    // Same seed: the rest of the catalogue draws from the same sequence only until the first
    // thinned candidate, so compare volumes rather than events.
    assert.ok(Math.abs(stopped.others / baseline.others - 1) < 0.03)
  })
})
