import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { DetectorFinding } from '../detectors/finding.ts'
import type { AlertEvent } from './alert-event.ts'
import { DetectorAlertSink } from './detector-finding-sink.ts'
import type { AlertState } from './state-machine.ts'
import { MIN, T0 } from './testing/fixtures.ts'

/** A state store in memory that, like Redis, keeps JSON (so a "restart" reloads what was saved). */
class MemoryStates {
  readonly hashes = new Map<string, Map<string, string>>()
  async load(tenant: string): Promise<Map<string, AlertState>> {
    return new Map([...(this.hashes.get(tenant) ?? new Map<string, string>())].map(([k, v]) => [k, JSON.parse(v) as AlertState]))
  }
  async save(tenant: string, changes: ReadonlyMap<string, AlertState>): Promise<void> {
    const h = this.hashes.get(tenant) ?? new Map<string, string>()
    for (const [fp, s] of changes) {
      if (s.phase === 'inactive') h.delete(fp)
      else h.set(fp, JSON.stringify(s))
    }
    this.hashes.set(tenant, h)
  }
}

function finding(minute: number, score: number, entity = 'cmp_1'): DetectorFinding {
  return { kind: 'detector', detector: 'seasonal_z', tenant: 'acme', level: 'campaign', entity, account: 'act_1', score, explanation: 'spend rate 9.1 vs 1.2 expected', expected: 1.2, actual: 9.1, feature: 'spend_rate', atMs: T0 + minute * MIN }
}

function sinkWith(states: MemoryStates, events: AlertEvent[], now = () => T0 + 10 * MIN): DetectorAlertSink {
  return new DetectorAlertSink({ events: { submit: async (e) => void events.push(...e) }, states }, { thresholdOf: () => 0.8, quietAfterMs: 3 * MIN, now })
}

test('table: findings fire at or above the threshold and resolve below it or when quiet', async () => {
  const cases: Array<[string, Array<['f', number, number] | ['sweep', number]>, string[]]> = [
    // At the threshold fires; a later finding below it resolves.
    ['above then below', [['f', 0, 0.8], ['f', 1, 0.9], ['f', 2, 0.5]], ['0:firing', '2:resolved']],
    // Below the threshold from the start: nothing.
    ['never above', [['f', 0, 0.79]], []],
    // Detectors report only minutes above the threshold: quiet for 3 minutes resolves it.
    ['quiet resolves', [['f', 0, 0.95], ['sweep', 2], ['sweep', 3]], ['0:firing', '3:resolved']],
    // A finding keeps it firing (no second trigger for the same episode).
    ['repeated findings fire once', [['f', 0, 0.9], ['f', 1, 0.9], ['sweep', 3], ['f', 4, 0.99]], ['0:firing']],
  ]
  for (const [name, steps, expected] of cases) {
    const events: AlertEvent[] = []
    const sink = sinkWith(new MemoryStates(), events)
    for (const s of steps) {
      if (s[0] === 'f') await sink.submit([finding(s[1], s[2])])
      else await sink.sweep(T0 + s[1] * MIN)
    }
    // "minute:kind": when it started firing, or when it resolved.
    assert.deepEqual(events.map((e) => `${((e.kind === 'resolved' ? (e.endsAtMs ?? 0) : e.startsAtMs) - T0) / MIN}:${e.kind}`), expected, name)
  }
})

test('a detector alert event carries identity, facts and explanation; states survive a restart', async () => {
  const states = new MemoryStates()
  const events: AlertEvent[] = []
  await sinkWith(states, events).submit([finding(0, 0.93)])
  const [e] = events
  assert.equal(e?.source, 'detector')
  assert.equal(e?.sourceId, 'seasonal_z')
  assert.deepEqual(e?.values, { score: 0.93, feature: 'spend_rate', expected: 1.2, actual: 9.1 })
  assert.equal(e?.explanation, 'spend rate 9.1 vs 1.2 expected')
  assert.equal(e?.labels.alertname, 'seasonal_z')
  // A new process (new sink, same store): the alert is known, so another finding does not fire again, and quiet resolves it.
  const after: AlertEvent[] = []
  const restarted = sinkWith(states, after)
  await restarted.submit([finding(1, 0.9)])
  assert.equal(after.length, 0)
  await restarted.sweep(T0 + 5 * MIN, ['acme'])
  assert.deepEqual(after.map((x) => [x.kind, x.fingerprint]), [['resolved', e?.fingerprint]])
})
