import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough, Readable } from 'node:stream'
import { parseTimestamp, scoreCsv } from './score-csv.ts'
import { createSeriesDetector } from './series-detectors.ts'

async function run(csv: string, detector = 'seasonal_z'): Promise<string> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  await scoreCsv(Readable.from([csv]), out, createSeriesDetector(detector, 'test'))
  return Buffer.concat(chunks).toString('utf8')
}

function series(n: number, at: (i: number) => number): string {
  const rows = ['timestamp,value']
  for (let i = 0; i < n; i++) rows.push(`${new Date(Date.UTC(2014, 3, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19)},${at(i)}`)
  return rows.join('\n') + '\n'
}

test('the output is timestamp,value,anomaly_score per row, values and timestamps as given', async () => {
  const out = await run(series(300, (i) => 10 + (i % 7)))
  const lines = out.trim().split('\n')
  assert.equal(lines[0], 'timestamp,value,anomaly_score')
  assert.equal(lines.length, 301)
  assert.match(lines[1]!, /^2014-04-01 00:00:00,10,0\.000000$/)
  for (const l of lines.slice(1)) assert.match(l, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+,(0|1)\.\d{6}$/)
})

test('no look-ahead through the CSV: rows after k changed, the first k+1 output rows are identical', async () => {
  for (const detector of ['seasonal_z', 'ewma', 'iforest', 'flatline', 'windowed_gaussian']) {
    const k = 400
    const a = (await run(series(600, (i) => 50 + 10 * Math.sin(i / 20)), detector)).split('\n')
    const b = (await run(series(600, (i) => (i > k ? 5000 - i : 50 + 10 * Math.sin(i / 20))), detector)).split('\n')
    assert.deepEqual(b.slice(0, k + 2), a.slice(0, k + 2), detector)
    assert.notDeepEqual(b.slice(k + 2), a.slice(k + 2), `${detector}: the changed rows do score differently`)
  }
})

test('a bad row stops with ADW_DETECT_INPUT naming the row', async () => {
  await assert.rejects(run('timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,abc\n'), { code: 'ADW_DETECT_INPUT', message: /^row 2: value "abc"/ })
  await assert.rejects(run('timestamp,value\n2014-04-01 00:05:00,1\n2014-04-01 00:00:00,2\n'), { code: 'ADW_DETECT_INPUT', message: /^row 2: .*earlier than the row before/ })
  await assert.rejects(run('time,v\n1,2\n'), { code: 'ADW_DETECT_INPUT', message: /columns timestamp and value/ })
})

test('timestamps: NAB style is UTC, ISO with a zone is honoured, numbers are epoch seconds or ms', () => {
  assert.equal(parseTimestamp('2014-04-10 07:15:00.000000'), Date.UTC(2014, 3, 10, 7, 15))
  assert.equal(parseTimestamp('2014-04-10T07:15:00+02:00'), Date.UTC(2014, 3, 10, 5, 15))
  assert.equal(parseTimestamp('1396000000'), 1_396_000_000_000)
  assert.equal(parseTimestamp('1396000000123'), 1_396_000_000_123)
  assert.ok(Number.isNaN(parseTimestamp('yesterday')))
})
