import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RowBinaryWriter } from './row-binary.ts'

/** Reads back what RowBinaryWriter wrote, by ClickHouse's rules (independent of the writer). */
function reader(buf: Buffer) {
  let at = 0
  return {
    string(): string {
      let len = 0
      let shift = 0
      for (;;) {
        const b = buf[at++]!
        len += (b & 0x7f) * 2 ** shift
        if (b < 0x80) break
        shift += 7
      }
      const s = buf.toString('utf8', at, at + len)
      at += len
      return s
    },
    uint64(): number {
      const v = buf.readBigUInt64LE(at)
      at += 8
      return Number(v)
    },
    uint32(): number {
      const v = buf.readUInt32LE(at)
      at += 4
      return v
    },
    get done(): boolean {
      return at === buf.length
    },
  }
}

test('strings are a LEB128 byte length then UTF-8, whatever their length and characters', () => {
  const strings = [
    '', // empty: a single 0 byte
    'acme',
    'x'.repeat(127), // the longest one-byte length
    'x'.repeat(128), // two length bytes
    'é', // 2 UTF-8 bytes for one UTF-16 unit
    '😀 emoji', // a surrogate pair: 4 bytes
    'tab\there, new\nline, quote\' " back\\slash, nul\u0000', // no escaping in RowBinary
    'ü'.repeat(100), // short in characters, 200 bytes: the non-ASCII path must write a two-byte length
    'ab\ud800cd', // a lone surrogate is written as UTF-8 writes it (U+FFFD)
    'y'.repeat(20_000), // three length bytes
  ]
  const w = new RowBinaryWriter(16) // tiny on purpose: every write must grow the buffer correctly
  for (const s of strings) w.string(s)
  const buf = w.finish()
  const r = reader(buf)
  for (const s of strings) assert.equal(r.string(), Buffer.from(s).toString('utf8'), JSON.stringify(s.slice(0, 20)))
  assert.ok(r.done)
  // Byte-exact for two simple cases.
  const w2 = new RowBinaryWriter()
  w2.string('')
  w2.string('ab')
  w2.string('x'.repeat(128))
  assert.deepEqual([...w2.finish().subarray(0, 6)], [0, 2, 0x61, 0x62, 0x80, 0x01])
})

test('integers are little-endian: UInt32 and DateTime in 4 bytes, UInt64 in 8 up to 2^53 - 1', () => {
  const w = new RowBinaryWriter(8)
  const u64 = [0, 1, 0xffff_ffff, 0x1_0000_0000, 1_795_295_309_545, Number.MAX_SAFE_INTEGER]
  for (const v of u64) w.uint64(v)
  w.uint32(0xffff_ffff)
  w.dateTime(1_795_295_309)
  const r = reader(w.finish())
  for (const v of u64) assert.equal(r.uint64(), v)
  assert.equal(r.uint32(), 0xffff_ffff)
  assert.equal(r.uint32(), 1_795_295_309)
  assert.ok(r.done)
  const w2 = new RowBinaryWriter()
  w2.uint64(0x1_0000_0002)
  assert.deepEqual([...w2.finish()], [2, 0, 0, 0, 1, 0, 0, 0])
})

test('values a column cannot hold are refused, not wrapped', () => {
  const w = new RowBinaryWriter()
  assert.throws(() => w.uint64(-1), RangeError)
  assert.throws(() => w.uint64(1.5), RangeError)
  assert.throws(() => w.uint64(2 ** 53), RangeError)
  assert.throws(() => w.uint32(2 ** 32), RangeError)
  assert.throws(() => w.dateTime(-1), RangeError)
})
