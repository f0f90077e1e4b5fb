import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ident } from '../../core/sql.ts'
import { deadLetter } from '../testing/fakes.ts'
import { deadLetterPageSql, deadLetterWhere, idOf, keyOfId } from './clickhouse-dead-letters.ts'
import { whyNotReplayable } from './replay-dead-letters.ts'

test('dead-letter SQL reads one tenant and stream, with optional code and time range', () => {
  const where = deadLetterWhere('acme', 'adwatch-events', { code: "bad'json", fromMs: 1_000_500, toMs: 2_000_500 })
  assert.equal(where.text, "tenant = 'acme' AND stream = 'adwatch-events' AND code = 'bad\\'json' AND arrived_at >= toDateTime(1000) AND arrived_at < toDateTime(2001)")
  assert.equal(deadLetterWhere('acme', 's', {}).text, "tenant = 'acme' AND stream = 's'")
  const page = deadLetterPageSql(ident('db'), where, 50, 100).text
  assert.match(page, /FROM `db`\.dead_letters_by_tenant FINAL WHERE tenant = 'acme'/)
  assert.match(page, /ORDER BY arrived_at DESC, shard, pos LIMIT 50 OFFSET 100$/)
})

test('dead-letter ids round-trip and reject garbage', () => {
  const key = { stream: 'adwatch-events', shard: 'shardId-000000000003', pos: '0561234' }
  assert.deepEqual(keyOfId(idOf(key)), key)
  assert.match(idOf(key), /^[A-Za-z0-9_-]+$/, 'URL-safe')
  for (const bad of ['', '%%%', Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) assert.equal(keyOfId(bad), undefined, bad)
})

test('only a JSON event of the caller\'s tenant can be replayed', () => {
  const ok = deadLetter({ pos: 'p', raw: '{"tenant":"acme","id":"e"}' })
  assert.equal(whyNotReplayable(ok, 'acme'), undefined)
  // The same bytes for another caller: another tenant's event is never put under its name.
  assert.match(whyNotReplayable(ok, 'globex')!, /names tenant "acme"/)
  assert.match(whyNotReplayable(deadLetter({ pos: 'p', raw: '\u00f3\u0012kpl' }), 'acme')!, /not JSON/)
  assert.match(whyNotReplayable(deadLetter({ pos: 'p', raw: '[1]' }), 'acme')!, /not a JSON object/)
})
