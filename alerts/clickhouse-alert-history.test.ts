import { test } from 'node:test'
import assert from 'node:assert/strict'
import { historyQuery, notificationsQuery } from './clickhouse-alert-history.ts'

test('table: history SQL (escaped values, FINAL, newest first, bounded pages)', () => {
  const cases: Array<[string, string, string]> = [
    [
      'tenant only',
      historyQuery('adwatch', 'acme', {}),
      "SELECT tenant, event_id, fingerprint, kind, source, source_id, source_version, level, entity, account, campaign, severity, label_names, label_values, annotations, facts, explanation, at_ms, starts_at_ms, ends_at_ms FROM `adwatch`.alert_history FINAL WHERE tenant = 'acme' ORDER BY at_ms DESC, event_id DESC LIMIT 0, 100",
    ],
    [
      // A quote in a value is escaped, kinds become an IN list, a huge limit is capped at 1000.
      'filters and escaping',
      historyQuery('adwatch', "o'brien", { fingerprint: 'abc', kinds: ['firing', 'resolved'], fromMs: 1000, toMs: 2000, limit: 1e9, offset: 20 }),
      "SELECT tenant, event_id, fingerprint, kind, source, source_id, source_version, level, entity, account, campaign, severity, label_names, label_values, annotations, facts, explanation, at_ms, starts_at_ms, ends_at_ms FROM `adwatch`.alert_history FINAL WHERE tenant = 'o\\'brien' AND fingerprint = 'abc' AND kind IN ('firing', 'resolved') AND at_ms >= 1000 AND at_ms < 2000 ORDER BY at_ms DESC, event_id DESC LIMIT 20, 1000",
    ],
    [
      'notifications of one alert and receiver',
      notificationsQuery('adwatch', 'acme', { fingerprint: 'abc', receiver: 'pager', limit: 5 }),
      "SELECT tenant, notification_id, receiver, receiver_type, group_key, fingerprints, statuses, outcome, attempts, error_code, error, created_at_ms, finished_at_ms FROM `adwatch`.alert_notifications FINAL WHERE tenant = 'acme' AND has(fingerprints, 'abc') AND receiver = 'pager' ORDER BY created_at_ms DESC, notification_id DESC LIMIT 0, 5",
    ],
  ]
  for (const [name, got, expected] of cases) assert.equal(got, expected, name)
})
