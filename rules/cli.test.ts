import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runCli } from './cli.ts'

test('the example rules are valid', async () => {
  const lines: string[] = []
  const dir = new URL('./examples/', import.meta.url).pathname
  const code = await runCli(['validate', ...['high-cpc', 'overpacing', 'spend-stopped'].map((f) => path.join(dir, `${f}.json`))], (l) => lines.push(l))
  assert.equal(code, 0, lines.join('\n'))
  assert.equal(lines.filter((l) => l.endsWith(': ok')).length, 3)
})

test('validate prints each problem with its JSON path and fails', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rules-cli-'))
  const file = path.join(dir, 'bad.json')
  writeFileSync(file, JSON.stringify({ id: 'bad', name: 'x', level: 'campaign', severity: 'info', conditions: { all: [{ fact: 'spend_5min', operator: 'greaterThan', value: 1 }] } }))
  const lines: string[] = []
  assert.equal(await runCli(['validate', file], (l) => lines.push(l)), 1)
  assert.match(lines.join('\n'), /bad\.json: \$\.conditions\.all\[0\]\.fact: unknown fact "spend_5min"/)
})

test('commands that touch Redis need a tenant', async () => {
  const lines: string[] = []
  assert.equal(await runCli(['list'], (l) => lines.push(l)), 2)
  assert.match(lines[0]!, /--tenant is required/)
})
