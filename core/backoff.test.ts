import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffMs, repeatEvery, sleep } from './backoff.ts'

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

test('repeatEvery runs until aborted; a failed run is reported and the next one still comes', async () => {
  const stop = new AbortController()
  const errors: string[] = []
  let runs = 0
  const done = repeatEvery(5, stop.signal, async () => {
    runs++
    if (runs === 2) throw new Error('second run failed')
    if (runs === 4) stop.abort()
  }, (err) => errors.push(err.message))
  await done
  assert.equal(runs, 4)
  assert.deepEqual(errors, ['second run failed'])
})
