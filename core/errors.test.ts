import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { AdwatchError, ERROR_CODES, isRetryable } from './errors.ts'

test('every error code is documented in docs/errors.md', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
  const missing = Object.keys(ERROR_CODES).filter((code) => !doc.includes(`\`${code}\``))
  assert.deepEqual(missing, [])
})

test('docs/errors.md documents no code that does not exist', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
  const documented = [...doc.matchAll(/^\| `(ADW_[A-Z_]+)`/gm)].map((m) => m[1]!)
  assert.deepEqual(documented.filter((c) => !(c in ERROR_CODES)), [])
})

test('AdwatchError keeps code, cause and retryability', () => {
  const cause = new Error('socket hang up')
  const err = new AdwatchError('ADW_STREAM_REDIS', 'Redis write failed', { cause, retryable: true })
  assert.equal(err.code, 'ADW_STREAM_REDIS')
  assert.equal(err.cause, cause)
  assert.equal(err.name, 'AdwatchError')
  assert.equal(isRetryable(err), true)
  assert.equal(isRetryable(new AdwatchError('ADW_SQL_VALUE', 'x')), false)
  assert.equal(isRetryable(new Error('plain')), false)
})
