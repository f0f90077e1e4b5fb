import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AdwatchError } from '../core/errors.ts'
import { decodeNative } from './backtest-native.ts'
import { seriesOfBlocks, sliceQuery } from './backtest-reader.ts'

const START = Date.parse('2026-11-16T00:00:00Z')

test('the slice query reads only what the rule needs, compactly, with every value escaped', () => {
  const q = sliceQuery('adw', {
    tenant: "o'hara", level: 'ad', readStartMs: START, slice: { fromMs: START + 3_600_000, toMs: START + 7_200_000 }, metrics: [1, 2], accounts: ['act_1', "x'y"], platforms: ['meta'],
  })
  const m = 'toUInt16(intDiv(toUInt32(minute) - 1794787200, 60))'
  assert.equal(
    q,
    `SELECT ad AS e, any(platform) AS p, any(account) AS a, any(campaign) AS c, any(adset) AS s, groupArray(${m}) AS m, ` +
      `groupArray(toUInt32(clicks)) AS v1, groupArrayIf((${m}, clicks), clicks >= 4294967296) AS x1, ` +
      `groupArray(toUInt32(spend_micros)) AS v2, groupArrayIf((${m}, spend_micros), spend_micros >= 4294967296) AS x2 ` +
      "FROM `adw`.rollup_minute WHERE tenant = 'o\\'hara' AND minute >= toDateTime(1794790800) AND minute < toDateTime(1794794400) " +
      'AND (impressions > 0 OR clicks > 0 OR spend_micros > 0 OR conversions > 0 OR revenue_micros > 0) ' +
      "AND ad != '' AND account IN ('act_1', 'x\\'y') AND platform IN ('meta') GROUP BY e FORMAT Native",
  )
  // Campaign level: no campaign/adset labels to read, no emptiness filter (campaign is always set).
  const c = sliceQuery('adw', { tenant: 't', level: 'campaign', readStartMs: START, slice: { fromMs: START, toMs: START + 60_000 }, metrics: [2] })
  assert.ok(c.startsWith('SELECT campaign AS e, any(platform) AS p, any(account) AS a, groupArray('))
  assert.ok(!c.includes('!= \'\''))
  // Minute indexes are UInt16: a range beyond 65,535 minutes is refused.
  assert.throws(() => sliceQuery('adw', { tenant: 't', level: 'campaign', readStartMs: START, slice: { fromMs: START, toMs: START + 65_536 * 60_000 }, metrics: [2] }), (e: unknown) => e instanceof AdwatchError && e.code === 'ADW_BACKTEST_READ')
})

/** Writes Native blocks the way ClickHouse does (the layout backtest-native.ts documents). */
class NativeWriter {
  private readonly parts: Buffer[] = []
  varint(n: number): this {
    const bytes: number[] = []
    do {
      let b = n % 128
      n = Math.floor(n / 128)
      if (n > 0) b |= 0x80
      bytes.push(b)
    } while (n > 0)
    this.parts.push(Buffer.from(bytes))
    return this
  }
  string(s: string): this {
    const b = Buffer.from(s, 'utf8')
    this.varint(b.length)
    this.parts.push(b)
    return this
  }
  fixed(width: 2 | 4 | 8, values: readonly number[]): this {
    const b = Buffer.alloc(values.length * width)
    values.forEach((v, i) => (width === 2 ? b.writeUInt16LE(v, i * 2) : width === 4 ? b.writeUInt32LE(v, i * 4) : b.writeBigUInt64LE(BigInt(v), i * 8)))
    this.parts.push(b)
    return this
  }
  header(name: string, type: string): this {
    return this.string(name).string(type)
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts)
  }
}

/** A campaign-level answer: two entities in one block, then an empty block. */
function campaignAnswer(): Buffer {
  const w = new NativeWriter().varint(6).varint(2)
  w.header('e', 'String').string('c1').string('ü2')
  w.header('p', 'String').string('meta').string('google')
  w.header('a', 'String').string('act_1').string('act_2')
  // c1 has rows at minutes 3, 3 (two ads), 4; ü2 at minute 7.
  w.header('m', 'Array(UInt16)').fixed(8, [3, 4]).fixed(2, [3, 3, 4, 7])
  w.header('v2', 'Array(UInt32)').fixed(8, [3, 4]).fixed(4, [10, 20, 705_032_704, 5]) // 705,032,704 = 5e9 mod 2^32
  w.header('x2', 'Array(Tuple(UInt16, UInt64))').fixed(8, [1, 1]).fixed(2, [4]).fixed(8, [5_000_000_000])
  w.varint(0).varint(0) // ClickHouse may end with an empty block
  return w.bytes()
}

test('a Native answer decodes into per-entity series, with the 32-bit overflow given back as extra', () => {
  const series = seriesOfBlocks(decodeNative(campaignAnswer()), { level: 'campaign', metrics: [2] })
  assert.equal(series.length, 2)
  const [c1, u2] = series as [(typeof series)[0], (typeof series)[0]]
  assert.deepEqual(c1.labels, { level: 'campaign', platform: 'meta', account: 'act_1', campaign: 'c1', adset: '', entity: 'c1' })
  assert.deepEqual([...c1.minutes], [3, 3, 4])
  assert.deepEqual([...c1.values[2]!], [10, 20, 705_032_704])
  assert.equal(c1.values[1], undefined)
  // 705,032,704 + 4,294,967,296 = 5,000,000,000: the row's true value.
  assert.deepEqual(c1.extra, [[4, 2, 4_294_967_296]])
  assert.equal(u2.entity, 'ü2')
  assert.deepEqual([...u2.minutes], [7])
  assert.deepEqual(u2.extra, [])
})

test('labels follow the level as the live runner builds them from entity metadata', () => {
  const w = new NativeWriter().varint(8).varint(1)
  w.header('e', 'String').string('ad9').header('p', 'String').string('meta').header('a', 'String').string('act_1')
  w.header('c', 'String').string('c1').header('s', 'String').string('as3')
  w.header('m', 'Array(UInt16)').fixed(8, [1]).fixed(2, [0])
  w.header('v2', 'Array(UInt32)').fixed(8, [1]).fixed(4, [1])
  const blocks = decodeNative(w.header('x2', 'Array(Tuple(UInt16, UInt64))').fixed(8, [0]).bytes())
  assert.deepEqual(seriesOfBlocks(blocks, { level: 'ad', metrics: [2] })[0]!.labels, { level: 'ad', platform: 'meta', account: 'act_1', campaign: 'c1', adset: 'as3', entity: 'ad9' })
})

test('a cut-off or unexpected answer is an ADW_BACKTEST_READ error, never a silent partial result', () => {
  const full = campaignAnswer()
  const isRead = (e: unknown) => e instanceof AdwatchError && e.code === 'ADW_BACKTEST_READ'
  assert.throws(() => decodeNative(full.subarray(0, full.length - 40)), isRead)
  // The answer lacks the clicks the rule needs.
  assert.throws(() => seriesOfBlocks(decodeNative(full), { level: 'campaign', metrics: [1, 2] }), isRead)
  // A type the decoder does not know.
  assert.throws(() => decodeNative(new NativeWriter().varint(1).varint(1).header('e', 'Decimal(9, 2)').fixed(4, [1]).bytes()), isRead)
})
