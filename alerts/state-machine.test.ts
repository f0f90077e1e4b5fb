import { test } from 'node:test'
import assert from 'node:assert/strict'
import { INACTIVE, stepAlert, type AlertState, type AlertTiming, type Observation } from './state-machine.ts'

const S = 1000
const M = 60 * S

/** Runs observations at the given times and returns the transitions, as "time:kind". */
function run(timing: AlertTiming, steps: Array<[number, Observation]>): { transitions: string[]; state: AlertState } {
  let state = INACTIVE
  const transitions: string[] = []
  for (const [t, obs] of steps) {
    const r = stepAlert(state, obs, timing, t)
    state = r.state
    if (r.transition) transitions.push(`${t / S}:${r.transition.kind}`)
  }
  return { transitions, state }
}

const plain: AlertTiming = { forMs: 0, keepFiringForMs: 0, noData: 'ok' }
const for2m: AlertTiming = { forMs: 2 * M, keepFiringForMs: 0, noData: 'ok' }

test('table: lifecycle timing', () => {
  const cases: Array<[string, AlertTiming, Array<[number, Observation]>, string[]]> = [
    // No `for`: fires on the first true observation, resolves on the first false one.
    ['fires at once without for', plain, [[0, 'false'], [1 * S, 'true'], [2 * S, 'true'], [3 * S, 'false']], ['1:firing', '3:resolved']],
    // for 2m: pending at 10 s, still pending at 129 s, fires at 130 s (exactly 2 minutes after).
    ['fires only once for has elapsed', for2m, [[10 * S, 'true'], [129 * S, 'true'], [130 * S, 'true'], [200 * S, 'false']], ['10:pending', '130:firing', '200:resolved']],
    // A condition that clears while pending never fires: the pending alert is cancelled.
    ['pending clears without firing', for2m, [[0, 'true'], [60 * S, 'false'], [200 * S, 'true']], ['0:pending', '60:cancelled', '200:pending']],
    // keep_firing_for: short dips do not resolve; the alert resolves once false for 30 s.
    ['keep firing through short dips', { forMs: 0, keepFiringForMs: 30 * S, noData: 'ok' }, [[0, 'true'], [10 * S, 'false'], [20 * S, 'true'], [40 * S, 'false'], [49 * S, 'false'], [50 * S, 'false']], ['0:firing', '50:resolved']],
    // no-data: ok resolves, alert fires, keep_last keeps the last real observation.
    ['no data counts as ok', plain, [[0, 'true'], [S, 'no-data']], ['0:firing', '1:resolved']],
    ['no data alerts', { ...plain, noData: 'alert' }, [[0, 'no-data'], [S, 'no-data'], [2 * S, 'false']], ['0:firing', '2:resolved']],
    ['no data keeps the last state', { ...plain, noData: 'keep_last' }, [[0, 'true'], [S, 'no-data'], [2 * S, 'no-data'], [3 * S, 'false']], ['0:firing', '3:resolved']],
    ['keep_last from nothing stays quiet', { ...plain, noData: 'keep_last' }, [[0, 'no-data'], [S, 'no-data']], []],
    // for and keep_firing_for together: pending 0–60 s, fires at 60 s, a 20 s gap of no data (ok) is bridged, then resolves 30 s after the last true.
    ['for with keep firing across a data gap', { forMs: M, keepFiringForMs: 30 * S, noData: 'ok' }, [[0, 'true'], [60 * S, 'true'], [70 * S, 'no-data'], [80 * S, 'true'], [100 * S, 'no-data'], [109 * S, 'false'], [110 * S, 'false']], ['0:pending', '60:firing', '110:resolved']],
    // A pending alert interrupted by missing data under the "alert" policy keeps counting toward for.
    ['no data counts toward for under alert', { forMs: M, keepFiringForMs: 0, noData: 'alert' }, [[0, 'true'], [30 * S, 'no-data'], [60 * S, 'no-data']], ['0:pending', '60:firing']],
  ]
  for (const [name, timing, steps, expected] of cases) assert.deepEqual(run(timing, steps).transitions, expected, name)
})

test('resolved carries when the alert started and ended', () => {
  let state = INACTIVE
  state = stepAlert(state, 'true', for2m, 0).state
  const firing = stepAlert(state, 'true', for2m, 2 * M)
  assert.deepEqual(firing.transition, { kind: 'firing', startsAtMs: 2 * M })
  const resolved = stepAlert(firing.state, 'false', for2m, 5 * M)
  assert.deepEqual(resolved.transition, { kind: 'resolved', startsAtMs: 2 * M, endsAtMs: 5 * M })
  assert.equal(resolved.state.phase, 'inactive')
})
