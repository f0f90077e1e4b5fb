#!/usr/bin/env node
// Runs the test files with Node's test runner (Node 20 takes paths, not globs).
// `unit`: *.test.ts without servers, in parallel. `int`: *.int.test.ts against the real
// servers that scripts/test starts, one file at a time (one of them stops ClickHouse).
// Extra arguments filter files by substring: `node scripts/run-tests.mjs int fold`.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const [kind = 'all', ...filters] = process.argv.slice(2)
const roots = ['core', 'stream', 'rules', 'detectors', 'alerts', 'gateway', 'bench', 'scripts', 'web']
const skip = new Set(['node_modules', 'dist', '.git'])

function walk(dir, out) {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of entries) {
    if (skip.has(name)) continue
    const p = path.join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (/\.test\.tsx?$/.test(name)) out.push(p)
  }
  return out
}

const all = roots.flatMap((r) => walk(r, [])).sort()
const pick = (files) => files.filter((f) => filters.every((s) => f.includes(s)))
const unit = pick(all.filter((f) => !f.includes('.int.test.')))
const int = pick(all.filter((f) => f.includes('.int.test.')))

const countsDir = mkdtempSync(path.join(os.tmpdir(), 'adwatch-tests-'))
const totals = { passed: 0, failed: 0 }
let failedRun = false

function run(name, files, extra) {
  if (files.length === 0) return
  const countsFile = path.join(countsDir, `${name}.json`)
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=./scripts/count-reporter.mjs', `--test-reporter-destination=${countsFile}`, ...extra, ...files],
    { stdio: 'inherit' },
  )
  try {
    const c = JSON.parse(readFileSync(countsFile, 'utf8'))
    totals.passed += c.passed
    totals.failed += c.failed
  } catch {
    totals.failed++ // the runner died before reporting: count it as a failure
  }
  if (res.status !== 0) failedRun = true
}

if (kind === 'unit' || kind === 'all') run('unit', unit, [])
if (kind === 'int' || kind === 'all') run('int', int, ['--test-concurrency=1'])
if (failedRun && totals.failed === 0) totals.failed = 1
console.log(`${totals.passed} passed, ${totals.failed} failed`)
process.exit(failedRun || totals.failed > 0 ? 1 : 0)
