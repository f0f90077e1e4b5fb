import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildCatalogue, PLATFORMS, TIME_ZONES, tenantNames } from './catalogue.ts'

describe('buildCatalogue', () => {
  it('is deterministic by seed', () => {
    const a = buildCatalogue({ seed: 42, tenants: 3, campaigns: 300 })
    const b = buildCatalogue({ seed: 42, tenants: 3, campaigns: 300 })
    const c = buildCatalogue({ seed: 43, tenants: 3, campaigns: 300 })
    assert.deepEqual(a, b)
    assert.notDeepEqual(a.campaigns, c.campaigns)
  })

  it('builds exactly the requested number of campaigns over the requested tenants', () => {
    for (const [tenants, campaigns] of [[1, 10], [3, 300], [5, 2500], [4, 7]] as const) {
      const cat = buildCatalogue({ seed: 1, tenants, campaigns })
      assert.equal(cat.campaigns.length, campaigns)
      assert.deepEqual(cat.tenants.map((t) => t.name), tenantNames(tenants))
    }
  })

  it('gives every tenant 1–3 accounts per platform, each with a known time zone and a budget', () => {
    const cat = buildCatalogue({ seed: 7, tenants: 4, campaigns: 1000 })
    for (const tenant of cat.tenants) {
      for (const platform of PLATFORMS) {
        const n = tenant.accounts.filter((a) => a.platform === platform).length
        assert.ok(n >= 1 && n <= 3, `${tenant.name}/${platform}: ${n} accounts`)
      }
      for (const account of tenant.accounts) {
        assert.ok((TIME_ZONES as readonly string[]).includes(account.timeZone))
        assert.ok(Number.isInteger(account.dailyBudgetMicros) && account.dailyBudgetMicros >= 200_000_000)
        // 1000 campaigns over at most 45 accounts: every account gets one.
        assert.ok(account.campaigns.length >= 1)
      }
    }
    const zones = new Set(cat.accounts.map((a) => a.timeZone))
    assert.ok(zones.size >= 4, `time zones used: ${[...zones].join(', ')}`)
  })

  it('keeps ids unique within a tenant and shapes within bounds', () => {
    const cat = buildCatalogue({ seed: 3, tenants: 3, campaigns: 600 })
    for (const tenant of cat.tenants) {
      const ids = new Set<string>()
      for (const account of tenant.accounts) {
        for (const id of [account.id, ...account.campaigns.flatMap((c) => [c.id, ...c.adsets.flatMap((s) => [s.id, ...s.ads])])]) {
          assert.ok(!ids.has(id), `duplicate id ${id} in ${tenant.name}`)
          ids.add(id)
        }
      }
    }
    for (const c of cat.campaigns) {
      assert.ok(c.adsets.length >= 1 && c.adsets.length <= 4)
      for (const s of c.adsets) assert.ok(s.ads.length >= 1 && s.ads.length <= 3)
      for (const micros of [c.cpmMicros, c.cpcMicros, c.avgOrderValueMicros, c.dailyBudgetMicros]) {
        assert.ok(Number.isInteger(micros) && micros > 0)
      }
      assert.ok(c.ctr > 0 && c.ctr < 0.1 && c.conversionRate > 0 && c.conversionRate < 0.3 && c.weight > 0)
    }
  })

  it('names tenants realistically and keeps them unique past the built-in list', () => {
    const names = tenantNames(45)
    assert.deepEqual(names.slice(0, 4), ['acme', 'globex', 'initech', 'umbrella'])
    assert.equal(new Set(names).size, 45)
    assert.equal(names[20], 'acme2')
    assert.throws(() => tenantNames(0), RangeError)
  })
})
