import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatDurationMs, parseDurationMs } from './duration.ts'
import { matcherHolds, matcherProblem, type LabelMatcher } from './matchers.ts'

test('table: matchers (regexes anchored, missing labels read as "")', () => {
  const labels = { alertname: 'high-cpc', team: 'growth' }
  const cases: Array<[LabelMatcher, boolean]> = [
    [{ name: 'alertname', op: '=', value: 'high-cpc' }, true],
    [{ name: 'alertname', op: '!=', value: 'high-cpc' }, false],
    [{ name: 'alertname', op: '=~', value: 'high' }, false],
    [{ name: 'alertname', op: '=~', value: 'high-.*|low-.*' }, true],
    [{ name: 'alertname', op: '!~', value: 'low-.*' }, true],
    [{ name: 'missing', op: '=', value: '' }, true],
    [{ name: 'missing', op: '!=', value: '' }, false],
  ]
  for (const [m, expected] of cases) assert.equal(matcherHolds(m, labels), expected, `${m.name}${m.op}${m.value}`)
  assert.match(matcherProblem({ name: '1bad', op: '=', value: '' }) ?? '', /label name/)
  assert.match(matcherProblem({ name: 'a', op: '=~', value: '[' }) ?? '', /invalid regex/)
  assert.match(matcherProblem({ name: 'a', op: '=~', value: 'a'.repeat(300) }) ?? '', /at most 256/)
})

test('table: durations', () => {
  const cases: Array<[string, number | undefined]> = [['250ms', 250], ['30s', 30_000], ['5m', 300_000], ['1h30m', 5_400_000], ['1d', 86_400_000], ['', undefined], ['5 minutes', undefined], ['1m1h', undefined]]
  for (const [text, ms] of cases) assert.equal(parseDurationMs(text), ms, text)
  assert.deepEqual([formatDurationMs(250), formatDurationMs(30_000), formatDurationMs(5_400_000)], ['250ms', '30s', '1h30m'])
})
