import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FanoutFindingSink, LoggingFindingSink, MemoryFindingSink, type DetectorFinding } from './finding.ts'

const f: DetectorFinding = {
  kind: 'detector', detector: 'seasonal_z', tenant: 'acme', level: 'campaign', entity: 'cmp_1', account: 'act_1',
  score: 0.93, explanation: 'spend 412.30/min vs 95.20/min usual at this hour of the week (+13.2σ)', expected: 95.2, actual: 412.3, feature: 'spend', atMs: 1_700_000_000_000,
}

test('the memory sink keeps findings with the time they were submitted, up to its limit', async () => {
  let now = 5
  const sink = new MemoryFindingSink(() => now, 2)
  await sink.submit([f, { ...f, entity: 'cmp_2' }])
  now = 9
  await sink.submit([{ ...f, entity: 'cmp_3' }])
  assert.deepEqual(sink.findings.map((x) => x.entity), ['cmp_2', 'cmp_3'], 'the oldest is dropped past the limit')
  assert.deepEqual(sink.submittedAtMs, [5, 9])
})

test('the logging sink writes one structured warning per finding; fan-out reaches every sink', async () => {
  const lines: Array<[Record<string, unknown>, string]> = []
  const log = new LoggingFindingSink({ warn: ((obj: Record<string, unknown>, msg: string) => lines.push([obj, msg])) as never })
  const mem = new MemoryFindingSink()
  await new FanoutFindingSink([log, mem]).submit([f])
  assert.equal(lines.length, 1)
  assert.equal(lines[0]![1], 'seasonal_z on campaign cmp_1: spend 412.30/min vs 95.20/min usual at this hour of the week (+13.2σ)')
  assert.equal(lines[0]![0].score, 0.93)
  assert.equal(mem.findings.length, 1)
})
