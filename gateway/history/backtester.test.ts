import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BacktestReadError } from '../../rules/backtest-errors.ts'
import type { RollupSlice, RollupSliceRequest } from '../../rules/backtest-reader.ts'
import { BacktestBusyError, BacktestTimeoutError, UnavailableError } from '../errors.ts'
import { GatewayBacktester } from './backtester.ts'

const NOW = Date.parse('2026-03-10T12:00:00Z')
const rule = { id: 'r', name: 'r', level: 'campaign', severity: 'warning', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 3 }] } }
const empty: RollupSlice = { series: [], rows: 0, bytes: 0 }

function backtester(readSlice: (r: RollupSliceRequest) => Promise<RollupSlice>, limits = { timeoutMs: 60_000, maxConcurrent: 2 }) {
  return new GatewayBacktester({ rollups: { readSlice }, timeZones: { refresh: async () => true, timeZoneOf: () => 'UTC' }, budgets: { campaigns: async () => new Map() }, now: () => NOW }, limits)
}

test('a backtest reads one slice per day and answers the report', async () => {
  const reads: RollupSliceRequest[] = []
  const report = await backtester(async (r) => (reads.push(r), empty)).run({ tenant: 'acme', rule, days: 3 })
  assert.equal(report.toMs - report.fromMs, 3 * 86_400_000)
  // The range plus the warm-up of "today" windows spans a few UTC days; every slice is read once.
  assert.equal(reads.length, report.stats.slices)
  assert.ok(reads.every((r) => r.tenant === 'acme'))
})

test('a backtest past its time limit is stopped at its next slice read and answered 503', async () => {
  let reads = 0
  const slow = backtester(async () => {
    reads++
    await new Promise((r) => setTimeout(r, 30))
    return empty
  }, { timeoutMs: 50, maxConcurrent: 2 })
  await assert.rejects(slow.run({ tenant: 'acme', rule, days: 31 }), (err: unknown) => err instanceof BacktestTimeoutError && err.statusCode === 503)
  // 31 days are 32+ slices; it stopped after a few (the read ahead included).
  assert.ok(reads <= 4, `read ${reads} slices after the deadline`)
})

test('at most maxConcurrent backtests run at once; more are 429, and the slot frees after', async () => {
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => (release = r))
  const b = backtester(async () => (await gate, empty), { timeoutMs: 60_000, maxConcurrent: 1 })
  const first = b.run({ tenant: 'acme', rule, days: 1 })
  await assert.rejects(b.run({ tenant: 'acme', rule, days: 1 }), (err: unknown) => err instanceof BacktestBusyError && err.statusCode === 429)
  release()
  await first
  assert.equal((await b.run({ tenant: 'acme', rule, days: 1 })).truncated, false, 'the slot is free again')
})

test('a ClickHouse read failure is 503; an invalid rule keeps its problems', async () => {
  const failing = backtester(async () => {
    throw new BacktestReadError('reading rollups failed: connect ECONNREFUSED')
  })
  await assert.rejects(failing.run({ tenant: 'acme', rule, days: 1 }), (err: unknown) => err instanceof UnavailableError && err.statusCode === 503)
  await assert.rejects(failing.run({ tenant: 'acme', rule: { ...rule, level: 'galaxy' }, days: 1 }), (err: unknown) => (err as { code?: string }).code === 'ADW_RULE_INVALID')
})
