import { test } from 'node:test'
import assert from 'node:assert/strict'
import { groupIntoAlerts, judgeAlerts, type JudgedFinding } from './evaluation.ts'

const MIN = 60_000
const T0 = Date.UTC(2026, 0, 8, 10)

function finding(detector: string, entity: string, minute: number, account = 'act_1'): JudgedFinding {
  return { detector, tenant: 'acme', level: 'campaign', entity, account, atMs: T0 + minute * MIN, detectedAtMs: T0 + (minute + 1) * MIN + 15_000 }
}

test('findings become one alert per detector and entity while they keep coming', () => {
  const alerts = groupIntoAlerts([
    finding('seasonal_z', 'cmp_1', 0),
    finding('seasonal_z', 'cmp_1', 1),
    finding('seasonal_z', 'cmp_1', 4), // 3 min gap ≤ 5: same alert
    finding('ewma', 'cmp_1', 2), // another detector: its own alert
    finding('seasonal_z', 'cmp_1', 20), // 16 min later: resolved and fired again
    finding('seasonal_z', 'cmp_2', 1),
  ], 5 * MIN)
  assert.deepEqual(alerts.map((a) => [a.detector, a.entity, (a.firstAtMs - T0) / MIN, a.findings]), [
    ['seasonal_z', 'cmp_1', 0, 3],
    ['seasonal_z', 'cmp_2', 1, 1],
    ['ewma', 'cmp_1', 2, 1],
    ['seasonal_z', 'cmp_1', 20, 1],
  ])
})

test('alerts are judged against anomalies: inside (or in the grace after) is true, elsewhere false', () => {
  const anomaly = { kind: 'spend_spike', tenant: 'acme', account: 'act_1', campaign: 'cmp_1', startMs: T0 + 10 * MIN + 30_000, endMs: T0 + 20 * MIN }
  const alerts = groupIntoAlerts([
    finding('seasonal_z', 'cmp_1', 10), // the minute the anomaly starts in: true
    finding('ewma', 'cmp_1', 25), // 5 min after the end, within 10 min grace: true (a late drift alert)
    finding('flatline', 'cmp_1', 40), // long after: false
    finding('seasonal_z', 'cmp_2', 12), // another campaign: false
  ], 5 * MIN)
  const j = judgeAlerts(alerts, [anomaly], 'campaign', 10 * MIN)
  assert.equal(j.trueAlerts.length, 2)
  assert.deepEqual(j.falseAlerts.map((a) => a.entity + '/' + a.detector), ['cmp_2/seasonal_z', 'cmp_1/flatline'])
  assert.equal(j.outcomes[0]!.delayMs, 45_000, 'emitted at 10:11:15, the anomaly began 10:10:30')
  assert.deepEqual(j.outcomes[0]!.detectors, ['seasonal_z'])
  // At account level the same findings are judged by account.
  const acc = judgeAlerts(groupIntoAlerts([{ ...finding('seasonal_z', 'act_1', 11), level: 'account' }], 5 * MIN), [anomaly], 'account', 10 * MIN)
  assert.equal(acc.trueAlerts.length, 1)
})

test('a missed anomaly has no delay', () => {
  const j = judgeAlerts([], [{ kind: 'cpc_drift', tenant: 'acme', account: 'a', campaign: 'c', startMs: T0, endMs: T0 + MIN }], 'campaign', 0)
  assert.equal(j.outcomes[0]!.delayMs, undefined)
  assert.equal(j.outcomes[0]!.detectedAtMs, undefined)
})
