import { test } from 'node:test'
import assert from 'node:assert/strict'
import { earlierOf, encodePosition, isAfter, sequenceOf } from './positions.ts'

test('positions compare as strings like the numbers they encode', () => {
  const seqs = ['9', '10', '49590338271490256608559692538361571095921575989136588898', '49590338271490256608559692538361571095921575989136588899']
  const ordered = seqs.flatMap((s) => [encodePosition(s, 0), encodePosition(s, 1), encodePosition(s, 12)])
  // String sort must equal numeric order: shorter sequence numbers first, then sub-sequence.
  assert.deepEqual([...ordered].sort(), ordered)
  assert.equal(sequenceOf(encodePosition(seqs[2]!, 7)), seqs[2])
})

test('isAfter and earlierOf treat a missing checkpoint as the very start', () => {
  const a = encodePosition('100'), b = encodePosition('200')
  assert.equal(isAfter(b, a), true)
  assert.equal(isAfter(a, a), false) // a record at the checkpoint is already held
  assert.equal(isAfter(a, undefined), true)
  assert.equal(earlierOf(a, b), a)
  assert.equal(earlierOf(a, undefined), undefined)
})

test('encodePosition rejects malformed input', () => {
  assert.throws(() => encodePosition('01'))
  assert.throws(() => encodePosition('12', -1))
  assert.throws(() => encodePosition('12', 1_000_000))
})

test('encodePosition accepts and writes exactly what the first (regex and padStart) version did (property)', async () => {
  const { default: fc } = await import('fast-check')
  const reference = (seq: string, sub: number) => {
    if (!/^(0|[1-9]\d{0,255})$/.test(seq)) return 'throws'
    return `${String(seq.length).padStart(3, '0')}${seq}${String(sub).padStart(6, '0')}`
  }
  const seq = fc.oneof(fc.stringMatching(/^[0-9]{1,60}$/), fc.string({ maxLength: 5 }), fc.constantFrom('0', '00', '1'.repeat(256), '1'.repeat(257), '٣'))
  fc.assert(
    fc.property(seq, fc.integer({ min: 0, max: 999_999 }), (s, sub) => {
      let got: string
      try {
        got = encodePosition(s, sub)
      } catch {
        got = 'throws'
      }
      assert.equal(got, reference(s, sub))
    }),
    { numRuns: 5_000 },
  )
})
