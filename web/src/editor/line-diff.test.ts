import assert from 'node:assert/strict'
import { test } from 'node:test'
import { diffLines } from './line-diff.ts'

test('a changed threshold is one line removed and one added, the rest kept', () => {
  const a = '{\n  "value": 3,\n  "for": "5m"\n}'
  const b = '{\n  "value": 4,\n  "for": "5m"\n}'
  assert.deepEqual(diffLines(a, b).map((l) => `${l.kind[0]}${l.text}`), ['s{', 'r  "value": 3,', 'a  "value": 4,', 's  "for": "5m"', 's}'])
})

test('insertions and deletions at the ends; identical texts are all kept', () => {
  assert.deepEqual(diffLines('a\nb', 'x\na\nb\ny').map((l) => l.kind), ['added', 'same', 'same', 'added'])
  assert.deepEqual(diffLines('a\nb\nc', 'b').map((l) => l.kind), ['removed', 'same', 'removed'])
  assert.ok(diffLines('same\ntext', 'same\ntext').every((l) => l.kind === 'same'))
})
