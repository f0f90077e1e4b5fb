import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ShardInfo } from './kinesis-shard-source.ts'
import { planAssignment } from './shard-assignment.ts'

const shard = (shardId: string, parent?: string, adjacent?: string, isClosed = false): ShardInfo => ({
  shardId, parentShardId: parent, adjacentParentShardId: adjacent, isClosed,
})

test('four shards over two workers: each takes two, a worker holding all releases two', () => {
  const shards = ['s0', 's1', 's2', 's3'].map((s) => shard(s))
  const fresh = planAssignment({ shards, done: new Set(), held: new Set(), liveWorkers: 2 })
  assert.equal(fresh.target, 2)
  assert.deepEqual(fresh.candidates, ['s0', 's1', 's2', 's3'])
  const greedy = planAssignment({ shards, done: new Set(), held: new Set(['s0', 's1', 's2', 's3']), liveWorkers: 2 })
  assert.equal(greedy.releaseCount, 2) // the second worker must get its share
})

test('a child shard waits for both parents of a merge and the parent of a split', () => {
  const shards = [shard('a', undefined, undefined, true), shard('b', undefined, undefined, true), shard('m', 'a', 'b'), shard('c1', 'a'), shard('c2', 'a')]
  const none = planAssignment({ shards, done: new Set(), held: new Set(), liveWorkers: 1 })
  assert.deepEqual(none.readable, ['a', 'b']) // children wait
  const aDone = planAssignment({ shards, done: new Set(['a']), held: new Set(), liveWorkers: 1 })
  assert.deepEqual(aDone.readable, ['b', 'c1', 'c2']) // merge child still waits for b
  const both = planAssignment({ shards, done: new Set(['a', 'b']), held: new Set(), liveWorkers: 1 })
  assert.deepEqual(both.readable, ['m', 'c1', 'c2'])
})

test('a parent past retention (not listed any more) counts as finished', () => {
  const plan = planAssignment({ shards: [shard('child', 'gone')], done: new Set(), held: new Set(), liveWorkers: 1 })
  assert.deepEqual(plan.readable, ['child'])
})

test('more workers than shards still gives a target of one and no release', () => {
  const plan = planAssignment({ shards: [shard('s0')], done: new Set(), held: new Set(['s0']), liveWorkers: 3 })
  assert.equal(plan.target, 1)
  assert.equal(plan.releaseCount, 0)
})
