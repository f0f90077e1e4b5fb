import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runCli } from './cli.ts'

test('detect --detector NAME --input in.csv --output out.csv writes the NAB layout', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adw-detect-'))
  const input = path.join(dir, 'in.csv')
  const output = path.join(dir, 'out.csv')
  writeFileSync(input, 'timestamp,value\n' + Array.from({ length: 50 }, (_, i) => `2014-04-01 00:${String(i).padStart(2, '0')}:00,${i % 5}`).join('\n') + '\n')
  assert.equal(await runCli(['detect', '--detector', 'ewma', '--input', input, '--output', output]), 0)
  const lines = readFileSync(output, 'utf8').trim().split('\n')
  assert.equal(lines[0], 'timestamp,value,anomaly_score')
  assert.equal(lines.length, 51)
})

test('bad commands and options are usage errors; an unknown detector names itself', async () => {
  await assert.rejects(runCli(['frobnicate']), { code: 'ADW_CONFIG_INVALID', message: /unknown command "frobnicate"/ })
  await assert.rejects(runCli(['detect', '--input', 'x.csv']), { code: 'ADW_CONFIG_INVALID', message: /--detector/ })
  await assert.rejects(runCli(['detect', '--detector', 'nope', '--input', 'x.csv']), { code: 'ADW_DETECT_UNKNOWN' })
})
