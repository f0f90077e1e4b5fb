import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createClickHouse } from '../core/clickhouse.ts'
import { migrate } from '../core/migrate.ts'
import { ident, sql } from '../core/sql.ts'
import { ClickHouseHistoryWriter } from './clickhouse-history-writer.ts'
import type { AdEvent } from './event.ts'
import { encodePosition } from './positions.ts'
import { integrationConfig, requireServers } from './testing/integration-env.ts'

const TS = Date.parse('2026-11-21T10:00:00.123Z')

test('one RowBinary block of several shards lands value for value, and moves each shard\'s checkpoint', async () => {
  const { cfg } = integrationConfig('chw')
  await requireServers(cfg)
  const admin = createClickHouse(cfg.clickhouse, 'default')
  await migrate(admin, cfg.clickhouse.database)
  const ch = createClickHouse(cfg.clickhouse)
  try {
    const writer = new ClickHouseHistoryWriter(ch, cfg.clickhouse.database)
    // Values RowBinary must carry untouched: tabs, newlines, quotes, backslashes, non-ASCII, long strings, big integers.
    const odd = ['tab\there', 'new\nline', "quote'\"", 'back\\slash', 'ü😀', 'x'.repeat(300), '']
    const event = (i: number): AdEvent => ({
      id: `id-${i}-${odd[i % odd.length]}`, tsMs: TS + i, tenant: 'acme', platform: 'meta', account: odd[(i + 1) % odd.length]!, campaign: `c${i % 3}`,
      adset: odd[(i + 2) % odd.length]!, ad: '', type: 'spend', impressions: i, clicks: 2 ** 32 + i, spendMicros: Number.MAX_SAFE_INTEGER - i,
      conversions: 0, revenueMicros: 7, currency: 'EUR',
    })
    const rows = Array.from({ length: 21 }, (_, i) => ({ shard: i % 2 === 0 ? 'A' : 'B', pos: encodePosition(String(100 + i)), event: event(i) }))
    await writer.insertEvents('s', rows, TS)
    const rs = await ch.query({
      query: sql`SELECT id, account, adset, toUInt64(ts) * 1000 AS ts_sec_ms, ts_ms, clicks, toString(spend_micros) AS spend, shard, pos FROM ${ident(cfg.clickhouse.database)}.events ORDER BY pos`.text,
      format: 'JSONEachRow',
    })
    const got = await rs.json<{ id: string; account: string; adset: string; ts_sec_ms: number; ts_ms: number; clicks: number; spend: string; shard: string; pos: string }>()
    assert.equal(got.length, rows.length)
    got.forEach((r, i) => {
      const want = rows[i]!
      assert.deepEqual(
        [r.id, r.account, r.adset, Number(r.ts_ms), Number(r.ts_sec_ms), Number(r.clicks), r.spend, r.shard, r.pos],
        [want.event.id, want.event.account, want.event.adset, want.event.tsMs, Math.floor(want.event.tsMs / 1000) * 1000, want.event.clicks, String(want.event.spendMicros), want.shard, want.pos],
      )
    })
    // The materialized view keeps each shard's highest position from the same block.
    assert.deepEqual(await writer.readCheckpoints('s'), new Map([['A', encodePosition('120')], ['B', encodePosition('119')]]))
    assert.equal((await writer.readCheckpoints('other')).size, 0)
    // Checkpoints moved past records that left no row (duplicates, dead letters): a max, so a
    // lower position never moves one back; a shard with no event row yet gets one; odd names pass.
    await writer.insertCheckpoints('s', [{ shard: 'A', pos: encodePosition('125') }, { shard: 'B', pos: encodePosition('110') }, { shard: "C'\\ü", pos: encodePosition('7') }])
    await writer.insertCheckpoints('s', [])
    assert.deepEqual(await writer.readCheckpoints('s'), new Map([['A', encodePosition('125')], ['B', encodePosition('119')], ["C'\\ü", encodePosition('7')]]))
  } finally {
    await admin.command({ query: sql`DROP DATABASE IF EXISTS ${ident(cfg.clickhouse.database)}`.text })
    await Promise.allSettled([admin.close(), ch.close()])
  }
})

test('after a failed insert the writer waits for the server to finish it: waitForQueryToEnd returns once the query is gone', async () => {
  const { cfg } = integrationConfig('chw-wait')
  await requireServers(cfg)
  const ch = createClickHouse(cfg.clickhouse, 'default')
  try {
    const writer = new ClickHouseHistoryWriter(ch, 'default')
    const running = async (id: string) => {
      const rs = await ch.query({ query: sql`SELECT count() AS n FROM system.processes WHERE query_id = ${id}`.text, format: 'JSONEachRow' })
      return Number((await rs.json<{ n: number | string }>())[0]?.n ?? 0) > 0
    }
    const id = `chw-wait-${Date.now()}`
    const slow = ch.query({ query: 'SELECT sleep(1.5) AS s', query_id: id, format: 'JSONEachRow' }).then((rs) => rs.json())
    const t0 = Date.now()
    while (!(await running(id))) {
      assert.ok(Date.now() - t0 < 5_000, 'the slow query shows in system.processes')
      await new Promise((r) => setTimeout(r, 20))
    }
    await writer.waitForQueryToEnd(id, 10_000)
    assert.equal(await running(id), false)
    assert.ok(Date.now() - t0 >= 1_000, `waited for the query (${Date.now() - t0} ms)`)
    await slow
    // Nothing to wait for: returns at once.
    const t1 = Date.now()
    await writer.waitForQueryToEnd('no-such-query', 10_000)
    assert.ok(Date.now() - t1 < 2_000)
  } finally {
    await ch.close()
  }
})
