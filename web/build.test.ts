import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import * as esbuild from 'esbuild'
import { validateRule } from '../rules/validate-rule.ts'
import { BUFFER_SHIM, buildWeb, precompiledAjvPlugin } from './build.ts'

test('the build writes index.html naming its hashed JS and CSS (uPlot\'s CSS included), with no run-time code generation', async () => {
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'adwatch-web-build-'))
  const r = await buildWeb({ outDir })
  assert.match(r.js, /^assets\/main-[A-Z0-9]{8}\.js$/)
  assert.match(r.css, /^assets\/main-[A-Z0-9]{8}\.css$/)
  const html = readFileSync(path.join(outDir, 'index.html'), 'utf8')
  assert.ok(html.includes(`<script type="module" src="/${r.js}"></script>`))
  assert.ok(html.includes(`<link rel="stylesheet" href="/${r.css}">`))
  const css = readFileSync(path.join(outDir, r.css), 'utf8')
  assert.match(css, /\.uplot/, 'uPlot\'s stylesheet is bundled')
  const js = readFileSync(path.join(outDir, r.js), 'utf8')
  // The gateway's CSP (script-src 'self') forbids eval: Ajv must be precompiled, not compiled here.
  assert.doesNotMatch(js, /new Function\(/)
  assert.match(readFileSync(path.join(outDir, `${r.js}.map`), 'utf8'), /"sources"/)
})

test('validateRule bundled for the browser (precompiled schema, Buffer shim) finds the same problems as on the server', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adwatch-web-validate-'))
  const entry = path.join(dir, 'entry.ts')
  writeFileSync(entry, `export { validateRule } from ${JSON.stringify(path.resolve('rules/validate-rule.ts'))}\n`)
  const out = path.join(dir, 'bundle.mjs')
  await esbuild.build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'neutral', outfile: out, inject: [BUFFER_SHIM], plugins: [precompiledAjvPlugin()], logLevel: 'silent', mainFields: ['module', 'main'] })
  const browser = (await import(pathToFileURL(out).href)) as { validateRule: typeof validateRule }
  const base = { id: 'r1', name: 'R', level: 'campaign', severity: 'warning', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 50 }] } }
  const cases: unknown[] = [
    base,
    { ...base, severity: 'loud' },
    { ...base, id: 'Bad Id' },
    { ...base, extra: 1 },
    { ...base, name: '' },
    { ...base, for: '5 minutes' },
    { ...base, labels: { 'bad-key': 'x' } },
    { ...base, scope: { matchers: [{ name: 'campaign', op: '=~', value: '(' }] } },
    { ...base, conditions: { all: [{ fact: 'spend_6m', operator: 'greaterThan', value: '5' }] } },
    { id: 'x' },
    { ...base, annotations: { summary: 'x'.repeat(2000) } },
  ]
  for (const c of cases) assert.deepEqual(browser.validateRule(c), validateRule(c), JSON.stringify(c).slice(0, 80))
})
