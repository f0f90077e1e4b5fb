import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffMs, sleep } from './backoff.ts'

test('backoff doubles up to the cap and stays within [cap/2, cap]', () => {
  assert.equal(backoffMs(0, 100, 10_000, () => 0), 50)
  assert.equal(backoffMs(0, 100, 10_000, () => 1), 100)
  assert.equal(backoffMs(3, 100, 10_000, () => 1), 800)
  assert.equal(backoffMs(20, 100, 10_000, () => 1), 10_000) // capped
  assert.equal(backoffMs(1000, 100, 10_000, () => 0), 5_000) // huge attempts do not overflow
})

test('sleep ends early when aborted', async () => {
  const ac = new AbortController()
  const t0 = Date.now()
  setTimeout(() => ac.abort(), 10)
  await sleep(5_000, ac.signal)
  assert.ok(Date.now() - t0 < 1_000)
})
