import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../core/config.ts'
import { loadSecretResolver, secretVariableName } from './secrets.ts'

test('secrets come from the tenant\'s part of the file or from ADW_ALERTS_SECRET_<TENANT>_<NAME>', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adw-secrets-'))
  const file = path.join(dir, 'secrets.json')
  writeFileSync(file, JSON.stringify({ acme: { oncall_slack: 'https://hooks.slack.com/services/T/B/fromfile' } }))
  const cfg = loadConfig({ ADW_ALERTS_SECRETS_FILE: file, ADW_ALERTS_SECRET_ACME_PD_KEY: 'from-env-0123456789', ADW_ALERTS_SECRET_GLOBEX_PD_KEY: 'globex-key-0123456789' })
  const secrets = loadSecretResolver(cfg.alerts.secretsFile, cfg.alerts.secretEnv)
  assert.equal(secretVariableName('acme', 'pd-key'), 'ADW_ALERTS_SECRET_ACME_PD_KEY')
  const cases: Array<[string, string, string | undefined]> = [
    ['acme', 'oncall_slack', 'https://hooks.slack.com/services/T/B/fromfile'],
    ['acme', 'pd_key', 'from-env-0123456789'],
    // Scoped to the tenant: acme cannot name globex's key, and globex has no slack secret.
    ['acme', 'globex_pd_key', undefined],
    ['globex', 'oncall_slack', undefined],
    ['globex', 'pd_key', 'globex-key-0123456789'],
  ]
  for (const [tenant, name, value] of cases) assert.equal(secrets.resolve(tenant, name)?.reveal(), value, `${tenant}/${name}`)
  // A tenant named with - or _ would share variables with others (acme-pd + key, acme + pd_key,
  // acme_pd + key all upper-case to ADW_ALERTS_SECRET_ACME_PD_KEY): it reads none, only the file.
  assert.equal(secretVariableName('acme-pd', 'key'), undefined)
  for (const tenant of ['acme-pd', 'acme_pd']) assert.equal(secrets.resolve(tenant, 'key'), undefined, tenant)
  // Every known value is scrubbed from text; the config prints none of them.
  assert.equal(secrets.redact('POST https://hooks.slack.com/services/T/B/fromfile failed; key from-env-0123456789'), 'POST [redacted] failed; key [redacted]')
  assert.ok(!JSON.stringify([...cfg.alerts.secretEnv.values()]).includes('from-env'))
})

test('a malformed secrets file stops startup with ADW_CONFIG_INVALID and without the values', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adw-secrets-'))
  const file = path.join(dir, 'bad.json')
  writeFileSync(file, JSON.stringify({ acme: 'not-an-object-secret' }))
  assert.throws(() => loadSecretResolver(file, new Map()), (e: Error & { code?: string }) => e.code === 'ADW_CONFIG_INVALID' && !e.message.includes('not-an-object-secret'))
})
