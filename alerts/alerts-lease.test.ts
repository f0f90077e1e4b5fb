import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LEASE_RECHECK_MS, leaseWaitMsOf } from './alerts-lease.ts'

test('table: sends start only while the lease has a quarter of its TTL left since the last renewal asked', () => {
  const T0 = 1_000_000
  const cases: Array<[string, number, number]> = [
    ['just renewed', T0, 0],
    ['one renewal (2 s) late', T0 + 4_000, 0],
    ['three quarters of the TTL gone: the last moment', T0 + 7_500, 0],
    ['past it: wait and look again', T0 + 7_501, LEASE_RECHECK_MS],
    ['expired', T0 + 12_000, LEASE_RECHECK_MS],
  ]
  for (const [name, nowMs, expected] of cases) assert.equal(leaseWaitMsOf(T0, 10_000, nowMs), expected, name)
})
