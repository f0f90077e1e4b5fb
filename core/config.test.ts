import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { CONFIG_VARIABLES, loadConfig } from './config.ts'

test('defaults point at the local servers and are frozen', () => {
  const cfg = loadConfig({})
  assert.equal(cfg.redis.url, 'redis://127.0.0.1:16379')
  assert.equal(cfg.kinesis.endpoint, 'http://127.0.0.1:14567')
  assert.equal(cfg.consumer.leaseTtlMs, 10_000)
  assert.ok(Object.isFrozen(cfg.consumer), 'config slices cannot be changed by their users')
  assert.match(cfg.consumer.workerId, /-\d+$/) // hostname-pid when ADW_WORKER_ID is unset
})

test('an empty Kinesis endpoint means AWS itself', () => {
  assert.equal(loadConfig({ ADW_KINESIS_ENDPOINT: '' }).kinesis.endpoint, undefined)
})

test('bad variables stop startup with every name and the expected form', () => {
  assert.throws(
    () => loadConfig({ ADW_REDIS_URL: 'not a url', ADW_LEASE_TTL_MS: '-5', ADW_DEFAULT_TZ: 'Mars/Olympus', ADW_CLICKHOUSE_DB: 'a;drop' }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ADW_CONFIG_INVALID')
      for (const name of ['ADW_REDIS_URL', 'ADW_LEASE_TTL_MS', 'ADW_DEFAULT_TZ', 'ADW_CLICKHOUSE_DB']) assert.match(err.message, new RegExp(name))
      assert.match(err.message, /IANA time zone/)
      return true
    },
  )
})

test('rules between variables are checked', () => {
  // A lease renewed only once per TTL could expire between renewals.
  assert.throws(() => loadConfig({ ADW_LEASE_TTL_MS: '4000', ADW_LEASE_RENEW_MS: '2000' }), /ADW_LEASE_RENEW_MS/)
  assert.throws(() => loadConfig({ ADW_BATCH_MAX_RECORDS: '20000' }), /10000/)
  // An insert takes at least a whole batch: a smaller bound would misstate how far Redis may run ahead.
  assert.throws(() => loadConfig({ ADW_SINK_BATCH_MAX_RECORDS: '200000' }), /ADW_CLICKHOUSE_MAX_PENDING_RECORDS \(100000\) must be at least ADW_SINK_BATCH_MAX_RECORDS/)
})

test('every variable is documented in docs/configuration.md', () => {
  const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8')
  assert.deepEqual(CONFIG_VARIABLES.filter((v) => !doc.includes(`\`${v.name}\``)).map((v) => v.name), [])
})
