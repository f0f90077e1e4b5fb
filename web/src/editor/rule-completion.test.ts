import assert from 'node:assert/strict'
import { test } from 'node:test'
import { completeRuleAt } from './rule-completion.ts'

/** Completes at the `|` in the text. */
function complete(withCursor: string) {
  const pos = withCursor.indexOf('|')
  const text = withCursor.replace('|', '')
  const r = completeRuleAt(text, pos)
  return r === null ? null : { prefix: text.slice(r.from, pos), labels: r.options.map((o) => o.label), options: r.options }
}

test('fact names complete inside a condition\'s "fact" string, as you type', () => {
  const r = complete('{"conditions": {"all": [{"fact": "cpc_1|"}]}}')!
  assert.equal(r.prefix, 'cpc_1')
  assert.ok(r.labels.includes('cpc_15m') && r.labels.includes('spend_5m') && r.labels.includes('anomaly_iforest'))
  assert.match(r.options.find((o) => o.label === 'cpc_15m')!.info!, /spend ÷ clicks over 15m/)
})

test('after "fact": with no quote yet, facts are offered quoted', () => {
  const r = complete('{"conditions": {"any": [{"fact": |')!
  assert.equal(r.options.find((o) => o.label === 'ctr_1h')!.apply, '"ctr_1h"')
})

test('operators fit the condition\'s fact: string facts get no numeric comparisons', () => {
  const numeric = complete('{"conditions": {"all": [{"fact": "spend_5m", "operator": "|"}]}}')!
  assert.deepEqual(numeric.labels, ['equal', 'notEqual', 'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive', 'in', 'notIn'])
  const text = complete('{"conditions": {"all": [{"fact": "platform", "operator": "|"}]}}')!
  assert.deepEqual(text.labels, ['equal', 'notEqual', 'in', 'notIn'])
})

test('property names fit the object: the rule envelope, a condition, a scope matcher', () => {
  assert.deepEqual(complete('{"id": "x", "|')!.labels.slice(0, 5), ['id', 'name', 'level', 'severity', 'for'])
  assert.deepEqual(complete('{"conditions": {"all": [{"|')!.labels, ['fact', 'operator', 'value', 'all', 'any', 'not', 'condition'])
  assert.deepEqual(complete('{"scope": {"matchers": [{"|')!.labels, ['name', 'op', 'value'])
  const bare = complete('{"id": "x",\n  |')!
  assert.equal(bare.options[0]!.apply, '"id": ', 'a key typed without its quote gets them')
})

test('enums complete their values; free text does not', () => {
  assert.deepEqual(complete('{"severity": "|"}')!.labels, ['critical', 'error', 'warning', 'info'])
  assert.deepEqual(complete('{"level": "c|"}')!.labels, ['account', 'campaign', 'adset', 'ad'])
  assert.equal(complete('{"name": "Spend |"}'), null)
})
