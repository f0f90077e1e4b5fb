import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig } from '../core/config.ts'

test('alerts settings: defaults suited to the 2 s budget, rules between variables, secrets collected', () => {
  const a = loadConfig({}).alerts
  // group_wait well under a second, so the alerts part leaves most of the budget to ingest and rules.
  assert.deepEqual([a.tickMs, a.groupWaitMs, a.groupIntervalMs, a.repeatIntervalMs, a.defaultReceiver], [100, 250, 30_000, 14_400_000, 'log'])
  assert.equal(a.allowInsecureReceivers, false)
  assert.equal(a.dashboardUrl, undefined)
  assert.throws(() => loadConfig({ ADW_ALERTS_LEASE_TTL_MS: '3000', ADW_ALERTS_LEASE_RENEW_MS: '2000' }), /ADW_ALERTS_LEASE_RENEW_MS/)
  assert.throws(() => loadConfig({ ADW_ALERTS_RETRY_BASE_MS: '9000', ADW_ALERTS_RETRY_MAX_MS: '1000' }), /ADW_ALERTS_RETRY_BASE_MS/)
  assert.throws(() => loadConfig({ ADW_ALERTS_DEFAULT_RECEIVER: 'slack' }), /ADW_ALERTS_DEFAULT_RECEIVER/)
  const withSecrets = loadConfig({ ADW_ALERTS_SECRET_ACME_PD: 'k', ADW_ALERTS_SECRETS_FILE: '/x.json', ADW_ALERTS_SECRET_EMPTY: '' }).alerts
  assert.deepEqual([...withSecrets.secretEnv.keys()], ['ADW_ALERTS_SECRET_ACME_PD'], 'only non-empty ADW_ALERTS_SECRET_* variables; the file variable is not a secret')
})
