import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AlertTransitionPush } from '../../../gateway/socket-events.ts'
import { AlertStore } from './alert-store.ts'

function t(kind: AlertTransitionPush['kind'], atMs: number, fingerprint = 'fp1', entity = 'c1'): AlertTransitionPush {
  return { kind, fingerprint, sourceId: 'high-cpc', level: 'campaign', entity, severity: 'warning', explanation: 'cpc_15m = 3.42 > 3 ✓', atMs }
}

test('transitions move one alert along: pending, firing (started kept), resolved (ack cleared)', () => {
  const s = new AlertStore()
  s.applyTransitions([t('pending', 1000)])
  s.applyTransitions([t('firing', 61_000)])
  assert.equal(s.get('fp1')!.state, 'firing')
  assert.equal(s.get('fp1')!.startedMs, 1000, 'active since it went pending')
  assert.equal(s.get('fp1')!.sinceMs, 61_000)
  s.acknowledged('fp1', 'user:ann')
  assert.equal(s.get('fp1')!.acknowledgedBy, 'user:ann')
  s.applyTransitions([t('resolved', 120_000)])
  assert.equal(s.get('fp1')!.state, 'resolved')
  assert.equal(s.get('fp1')!.endedMs, 120_000)
  assert.equal(s.get('fp1')!.acknowledgedBy, null, 'an acknowledgement lasts until the alert resolves')
})

test('a batch is applied oldest first and an older transition never undoes a newer one', () => {
  const s = new AlertStore()
  s.applyTransitions([t('firing', 2000), t('pending', 1000)])
  assert.equal(s.get('fp1')!.state, 'firing')
  s.applyTransitions([t('pending', 500)])
  assert.equal(s.get('fp1')!.state, 'firing')
})

test('open alerts are counted per entity; resolved ones are not', () => {
  const s = new AlertStore()
  s.applyTransitions([t('firing', 1, 'a', 'c1'), t('pending', 2, 'b', 'c1'), t('firing', 3, 'c', 'c2'), t('resolved', 4, 'c', 'c2')])
  assert.deepEqual([...s.openCountByEntity()], [['campaign:c1', 2]])
  assert.deepEqual(s.list().map((a) => a.fingerprint), ['c', 'b', 'a'], 'newest change first')
})

test('alerts loaded from the API keep their acknowledgement and silence', () => {
  const s = new AlertStore()
  s.load([{ fingerprint: 'x', source: 'rule', sourceId: 'r', level: 'campaign', entity: 'c9', account: 'act', campaign: 'c9', severity: 'critical', state: 'firing', explanation: 'e', labels: { team: 'growth' }, annotations: {}, values: {}, startsAt: '2026-11-21T10:00:00Z', endsAt: null, updatedAt: '2026-11-21T10:01:00Z', acknowledgedBy: 'user:bo', acknowledgedAt: '2026-11-21T10:02:00Z', silencedBy: ['s1'] }])
  const a = s.get('x')!
  assert.equal(a.acknowledgedBy, 'user:bo')
  assert.equal(a.silenced, true)
  assert.equal(a.startedMs, Date.parse('2026-11-21T10:00:00Z'))
})
