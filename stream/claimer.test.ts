import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { claimerHasherOf, claimerOf } from './claimer.ts'
import { encodePosition } from './positions.ts'

/** The claimer as first written (one pass over `shard/pos`): stored claims must keep matching. */
function referenceClaimer(shard: string, pos: string): string {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ 0x5bd1e995
  const s = `${shard}/${pos}`
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x01000197)
  }
  return ((h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff)).toString(36)
}

test('claimer names are those of the first version, for any shard and position (property)', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (shard, pos) => {
      assert.equal(claimerOf(shard, pos), referenceClaimer(shard, pos))
      assert.equal(claimerHasherOf(shard)(pos), referenceClaimer(shard, pos))
    }),
    { numRuns: 5_000 },
  )
  const pos = encodePosition('49590338271490256608559692538361571095921575989136588898', 3)
  assert.equal(claimerOf('shardId-000000000001', pos), referenceClaimer('shardId-000000000001', pos))
  // Different records of a shard get different names.
  assert.notEqual(claimerOf('shardId-000000000001', pos), claimerOf('shardId-000000000002', pos))
})

test('claimer names use every base-36 digit as Number.toString(36) does, up to 52 bits', () => {
  // Positions whose hashes are small or large exercise short and long names.
  const names = Array.from({ length: 20_000 }, (_, i) => claimerOf('s', String(i)))
  assert.ok(names.some((n) => n.length <= 9) && names.some((n) => n.length === 11))
  for (let i = 0; i < 20_000; i++) assert.equal(claimerOf('s', String(i)), referenceClaimer('s', String(i)))
})
