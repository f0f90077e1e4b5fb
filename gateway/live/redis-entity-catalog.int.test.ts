import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import type { AdEvent } from '../../stream/event.ts'
import { EntitySettingsStore } from '../../stream/entity-settings.ts'
import { foldEvents } from '../../stream/fold.ts'
import { RedisLeaseManager } from '../../stream/lease-manager.ts'
import { encodePosition } from '../../stream/positions.ts'
import { RedisCounterStore } from '../../stream/redis-counter-store.ts'
import { registerTenants, TenantDirectory } from '../../stream/tenant-directory.ts'
import { integrationConfig, requireServers } from '../../stream/testing/integration-env.ts'
import { localDayOf } from '../../rules/zoned-day.ts'
import { LiveView } from './live-view.ts'
import { RedisEntityCatalog } from './redis-entity-catalog.ts'

const NOW = Math.floor(Date.now() / 60_000) * 60_000 + 30_000

function ev(campaign: string, account: string, atMs: number, spend: number): AdEvent {
  return { id: `${campaign}-${atMs}-${spend}`, tsMs: atMs, tenant: 'acme', platform: 'meta', account, campaign, adset: '', ad: '', type: 'spend', impressions: 1, clicks: 0, spendMicros: spend, conversions: 0, revenueMicros: 0, currency: 'USD' }
}

test('the catalog serves held windows from memory and cold entities\' today from Redis, in each account\'s zone', async () => {
  const { cfg } = integrationConfig('gwcat')
  await requireServers(cfg)
  const redis = new Redis(cfg.redis.url)
  try {
    await registerTenants(redis, cfg.redis.keyPrefix, ['acme'])
    const tz = 'Pacific/Kiritimati' // UTC+14: its "today" is often UTC's tomorrow
    await new EntitySettingsStore(redis, cfg.redis.keyPrefix).setAccount('acme', 'a-far', { timeZone: tz })
    const tenants = new TenantDirectory(redis, cfg.redis.keyPrefix, 'UTC', () => NOW)
    await tenants.refresh()
    const store = new RedisCounterStore(redis, cfg.redis.keyPrefix, 900)
    const lease = (await new RedisLeaseManager(redis, cfg.redis.keyPrefix, 's', 'w', 10_000).tryAcquire('shard-0'))!
    let seq = 1
    const dayOf = (e: AdEvent) => localDayOf(e.tsMs, tenants.timeZoneOf(e.tenant, e.account)).date
    const apply = async (events: AdEvent[], nowMs: number) => {
      const pos = encodePosition(String(seq++))
      await store.applyBatch({ stream: 's', shard: 'shard-0', leaseValue: lease.value, firstPos: pos, lastPos: pos, folded: foldEvents(events, dayOf), duplicates: 0, deadLetters: 0, nowMs })
    }
    // "cold": last active three hours ago (not loaded by the feed); "hot": this minute.
    const threeHoursAgo = NOW - 3 * 3_600_000
    await apply([ev('cold', 'a1', threeHoursAgo, 70)], threeHoursAgo)
    await apply([ev('hot', 'a-far', NOW - 5 * 60_000, 11), ev('hot', 'a-far', NOW, 22)], NOW)

    const live = new LiveView(redis, cfg.redis.keyPrefix, tenants)
    await live.poll(NOW, true)
    const catalog = new RedisEntityCatalog(redis, cfg.redis.keyPrefix, live, 'UTC', () => NOW)
    assert.deepEqual((await catalog.ids('acme', 'campaign')).sort(), ['cold', 'hot'])
    assert.deepEqual((await catalog.ids('acme', 'account')).sort(), ['a-far', 'a1'], 'active accounts and accounts with a zone')
    assert.equal(live.isHeld('acme', 'campaign', 'hot'), true)
    assert.equal(live.isHeld('acme', 'campaign', 'cold'), false)

    const views = await catalog.views('acme', 'campaign', ['hot', 'cold', 'nope'], NOW)
    assert.deepEqual([...views.keys()], ['hot', 'cold'], 'unknown ids are left out, order kept')
    const hot = views.get('hot')!
    assert.deepEqual([hot.account, hot.timeZone, hot.day.date], ['a-far', tz, localDayOf(NOW, tz).date])
    assert.equal(hot.windows['1m'][2], 22)
    assert.equal(hot.windows['15m'][2], 33)
    const cold = views.get('cold')!
    assert.equal(cold.windows['1h'][2], 0, 'nothing in the last hour')
    const coldToday = localDayOf(threeHoursAgo, 'UTC').date === localDayOf(NOW, 'UTC').date ? 70 : 0
    assert.equal(cold.windows.today[2], coldToday, 'today from the day-total hash')

    // A delta through the feed reaches the held windows on the next poll.
    await apply([ev('hot', 'a-far', NOW, 100)], NOW + 1)
    await live.poll(NOW + 1)
    assert.equal(live.lastChangeMs('acme', 'campaign', 'hot'), NOW + 1)
    assert.equal((await catalog.views('acme', 'campaign', ['hot'], NOW + 1)).get('hot')!.windows['1m'][2], 122)

    // Settings: written through, cached, dropped on change.
    await catalog.setCampaignSettings('acme', 'hot', { dailyBudgetMicros: 900 })
    assert.deepEqual((await catalog.campaignSettings('acme', ['hot'])).get('hot'), { dailyBudgetMicros: 900 })
    await new EntitySettingsStore(redis, cfg.redis.keyPrefix).setCampaign('acme', 'hot', { dailyBudgetMicros: 1 })
    assert.equal((await catalog.campaignSettings('acme', ['hot'])).get('hot')!.dailyBudgetMicros, 900, 'cached for a few seconds')
    catalog.forgetSettings('acme')
    assert.equal((await catalog.campaignSettings('acme', ['hot'])).get('hot')!.dailyBudgetMicros, 1, 'until another gateway says it changed')
  } finally {
    const keys = await redis.keys(`${cfg.redis.keyPrefix}:*`)
    if (keys.length > 0) await redis.unlink(...keys)
    await redis.quit()
  }
})
