import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pino } from 'pino'
import type { AlertTransitionPush } from '../socket-events.ts'
import { alertEvent, MemoryAlerting } from '../testing/alerting-fakes.ts'
import { AlertForwarder } from './alert-forwarder.ts'

function forwarder(feed: MemoryAlerting, tenants: Set<string>) {
  const sent: Array<{ tenant: string; push: AlertTransitionPush }> = []
  const f = new AlertForwarder({ feed, localTenants: () => tenants, emit: (tenant, push) => sent.push({ tenant, push }), intervalMs: 10, log: pino({ level: 'silent' }) })
  return { f, sent }
}

test('a tenant with local sockets is followed from the end of its log; each new entry is pushed once, in order', async () => {
  const feed = new MemoryAlerting(() => 0)
  feed.append(alertEvent('acme', 'fp0', { kind: 'pending', atMs: 1 }), 1)
  const { f, sent } = forwarder(feed, new Set(['acme']))
  await f.round() // starts following at the end: the old entry is not pushed
  feed.append(alertEvent('acme', 'fp1', { kind: 'pending', atMs: 2 }), 2)
  feed.append(alertEvent('acme', 'fp1', { kind: 'firing', atMs: 3, labels: { alertname: 'high-cpc', team: 'ads' } }), 3)
  feed.append(alertEvent('acme', 'fp2', { kind: 'cancelled', atMs: 4 }), 4)
  await f.round()
  await f.round() // nothing new: nothing again
  assert.deepEqual(sent.map((s) => `${s.tenant}:${s.push.fingerprint}:${s.push.kind}`), ['acme:fp1:pending', 'acme:fp1:firing', 'acme:fp2:cancelled'])
  assert.deepEqual(sent[1]!.push, { kind: 'firing', fingerprint: 'fp1', source: 'rule', sourceId: 'high-cpc', level: 'campaign', entity: 'c1', severity: 'warning', explanation: 'cpc_15m = 3.42 > 3 ✓', labels: { alertname: 'high-cpc', team: 'ads' }, atMs: 3 })
})

test('only tenants with local sockets are followed; their own entries only; a tenant that left starts over from the end', async () => {
  const feed = new MemoryAlerting(() => 0)
  const tenants = new Set(['acme'])
  const { f, sent } = forwarder(feed, tenants)
  await f.round()
  feed.append(alertEvent('globex', 'gx', { atMs: 1 }), 1)
  // An entry in acme's log naming another tenant (never written so) is not forwarded.
  feed.append(alertEvent('globex', 'forged', { atMs: 2 }), 2, 'acme')
  feed.append(alertEvent('acme', 'a1', { atMs: 3 }), 3)
  await f.round()
  assert.deepEqual(sent.map((s) => `${s.tenant}:${s.push.fingerprint}`), ['acme:a1'])
  tenants.delete('acme')
  await f.round()
  feed.append(alertEvent('acme', 'a2', { atMs: 4 }), 4) // while no socket of acme is here
  tenants.add('acme')
  await f.round()
  feed.append(alertEvent('acme', 'a3', { atMs: 5 }), 5)
  await f.round()
  assert.deepEqual(sent.map((s) => s.push.fingerprint), ['a1', 'a3'])
})

test('start and stop run rounds on the interval', async () => {
  const feed = new MemoryAlerting(() => 0)
  const { f, sent } = forwarder(feed, new Set(['acme']))
  f.start()
  await new Promise((r) => setTimeout(r, 30))
  feed.append(alertEvent('acme', 'a1', { atMs: 1 }), 1)
  for (let i = 0; i < 100 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
  await f.stop()
  assert.deepEqual(sent.map((s) => s.push.fingerprint), ['a1'])
})
