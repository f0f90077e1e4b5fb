import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeFeedTuples } from './feed-tuples.ts'

type Tuple = [number, string, number | string, number, number, number, number, number]

/** What the change feed decoded before: JSON.parse's arrays. */
function viaParse(json: string): Tuple[] {
  return JSON.parse(json) as Tuple[]
}

function columns(json: string): Tuple[] {
  const d = decodeFeedTuples(json)
  return Array.from({ length: d.count }, (_, t) => [d.levels[t]!, d.entities[t]!, d.keys[t]!, ...Array.from(d.sums.subarray(t * 5, t * 5 + 5))] as Tuple)
}

const sum = fc.oneof(fc.integer({ min: 0, max: 5_000_000 }), fc.integer({ min: -1e15 + 1, max: 1e15 - 1 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1e21, 123456789012345678, 0.5))
const entity = fc.oneof(fc.stringMatching(/^[a-z0-9_]{1,12}$/), fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('a"b', 'a\\b', '\n', '\u2028', 'é'))
const tuple = fc.tuple(fc.integer({ min: 0, max: 3 }), entity, fc.oneof(fc.integer({ min: 0, max: 2e12 }), fc.constantFrom('2026-11-20', '2026-03-29')), sum, sum, sum, sum, sum)

test('decoded tuples equal JSON.parse of the writer\'s text (plain and escaped strings, fractions, exponents, -0, long integers)', () => {
  fc.assert(
    fc.property(fc.array(tuple, { maxLength: 20 }), (tuples) => {
      // As encodeChanges writes: numbers by template (String), strings by JSON.stringify.
      const json = `[${tuples.map((t) => `[${t[0]},${JSON.stringify(t[1])},${typeof t[2] === 'string' ? JSON.stringify(t[2]) : t[2]},${t.slice(3).join(',')}]`).join(',')}]`
      const want = viaParse(json)
      const got = columns(json)
      assert.equal(got.length, want.length)
      got.forEach((g, i) => g.forEach((v, k) => assert.ok(Object.is(v, want[i]![k]), `tuple ${i} field ${k}: ${String(v)} vs ${String(want[i]![k])}`)))
    }),
    { numRuns: 2_000, seed: 3 },
  )
})

test('the fast path and JSON.parse agree on the writer\'s usual text, on whitespace, and both refuse what is not JSON', () => {
  const plain = '[[1,"cmp_00001",1763650800000,20,1,350000,0,0],[1,"cmp_00002",1763650800000,99,0,-0,1,40000000]]'
  assert.deepEqual(columns(plain), viaParse(plain))
  assert.ok(Object.is(decodeFeedTuples(plain).sums[7], -0))
  const spaced = '[ [1, "c", "2026-11-20", 1, 2, 3, 4, 5] ]'
  assert.deepEqual(columns(spaced), viaParse(spaced))
  assert.deepEqual(columns('[]'), [])
  for (const bad of ['', '[', '[[1,"c",1,1,1,1,1,1]', '[[1,"c",1,01,1,1,1,1]]', '[[1,"c\u0001",1,1,1,1,1,1]]', '[[1,"c",1,1,1,1,1,1]]x']) {
    assert.throws(() => decodeFeedTuples(bad), SyntaxError, JSON.stringify(bad))
  }
})
