import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cachedThresholds } from './runtime.ts'

test('the alert sink reads a tenant\'s thresholds once per cache period, the default where none is set, and never caches a failed read', async () => {
  const clock = { now: 1_000 }
  const reads: string[] = []
  let fail = false
  const settings = {
    async thresholds(tenant: string, detectors: readonly string[], fallback: number): Promise<Map<string, number>> {
      reads.push(tenant)
      if (fail) throw new Error('redis down')
      return new Map(detectors.map((d) => [d, tenant === 'acme' && d === 'ewma' ? 0.9 : fallback]))
    },
  }
  const thresholdOf = cachedThresholds(settings, ['ewma', 'flatline'], 0.8, () => clock.now, 10_000)
  assert.equal(await thresholdOf('acme', 'ewma'), 0.9)
  assert.equal(await thresholdOf('acme', 'flatline'), 0.8)
  assert.equal(await thresholdOf('acme', 'unknown'), 0.8)
  assert.equal(await thresholdOf('beta', 'ewma'), 0.8)
  assert.deepEqual(reads, ['acme', 'beta'], 'one read per tenant within the period')
  clock.now += 10_000
  fail = true
  await assert.rejects(thresholdOf('acme', 'ewma'), /redis down/)
  fail = false
  assert.equal(await thresholdOf('acme', 'ewma'), 0.9, 'the failed read is not kept')
  assert.deepEqual(reads, ['acme', 'beta', 'acme', 'acme'])
})
