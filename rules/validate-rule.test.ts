import { test } from 'node:test'
import assert from 'node:assert/strict'
import { validateRule } from './validate-rule.ts'

const good = {
  id: 'high-cpc', name: 'CPC above $3 for 5 minutes', level: 'campaign', severity: 'warning', for: '5m', every: '1m',
  labels: { team: 'growth' }, annotations: { summary: 'CPC {{cpc_15m}} on {{entity}}' },
  conditions: { all: [{ fact: 'cpc_15m', operator: 'greaterThan', value: 3.0 }, { fact: 'clicks_15m', operator: 'greaterThanInclusive', value: 50 }] },
}
const withConditions = (conditions: unknown) => ({ ...good, conditions })

test('the design example is valid', () => {
  assert.deepEqual(validateRule(good), [])
})

test('each class of bad rule is rejected at its JSON path', () => {
  let deep: unknown = { fact: 'spend_5m', operator: 'greaterThan', value: 1 }
  for (let i = 0; i < 11; i++) deep = { all: [deep] }
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['unknown fact', withConditions({ all: [{ fact: 'cpc_15min', operator: 'greaterThan', value: 3 }] }), '$.conditions.all[0].fact', /unknown fact "cpc_15min"; did you mean cpc_1m/],
    ['unknown operator (json-rules-engine would accept it and fail every run)', withConditions({ any: [{ fact: 'cpc_15m', operator: 'greaterThanOrEqual', value: 3 }] }), '$.conditions.any[0].operator', /unknown operator "greaterThanOrEqual"; one of equal/],
    ['operator decorators are not listed operators', withConditions({ all: [{ fact: 'cpc_15m', operator: 'not:equal', value: 3 }] }), '$.conditions.all[0].operator', /unknown operator/],
    ['numeric operator on a string fact', withConditions({ all: [{ fact: 'platform', operator: 'greaterThan', value: 3 }] }), '$.conditions.all[0].operator', /platform is a string/],
    ['wrong value type', withConditions({ all: [{ fact: 'spend_5m', operator: 'greaterThan', value: '3' }] }), '$.conditions.all[0].value', /needs a number/],
    ['in without a list', withConditions({ all: [{ fact: 'platform', operator: 'in', value: 'meta' }] }), '$.conditions.all[0].value', /needs an array/],
    ['unknown fact in a fact reference', withConditions({ all: [{ fact: 'spend_5m', operator: 'greaterThan', value: { fact: 'budget' } }] }), '$.conditions.all[0].value.fact', /unknown fact "budget"/],
    ['unsupported condition field', withConditions({ all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 1, path: '$.x' }] }), '$.conditions.all[0].path', /unknown field "path"/],
    ['empty group', withConditions({ all: [] }), '$.conditions.all', /non-empty array/],
    ['a leaf at the root', withConditions({ fact: 'spend_5m', operator: 'greaterThan', value: 1 }), '$.conditions', /must start with a group/],
    ['nesting deeper than 10', withConditions(deep), '$.conditions' + '.all[0]'.repeat(10), /nested more than 10 levels/],
    ['unknown shared condition', withConditions({ all: [{ condition: 'missing' }] }), '$.conditions.all[0].condition', /unknown shared condition/],
    ['bad duration', { ...good, for: '5 minutes' }, '$.for', /duration such as "30s"/],
    ['unknown level', { ...good, level: 'keyword' }, '$.level', /must be one of "account", "campaign", "adset", "ad"/],
    ['missing field', { ...good, severity: undefined }, '$.severity', /is required/],
    ['unknown top-level field', { ...good, team: 'x' }, '$.team', /unknown field "team"/],
    ['__proto__ key', JSON.parse('{"id":"x","name":"x","level":"campaign","severity":"info","conditions":{"all":[{"fact":"spend_5m","operator":"greaterThan","value":1,"__proto__":{"polluted":true}}]}}'), '$.conditions.all[0].__proto__', /not allowed anywhere/],
    ['constructor key', { ...good, labels: { constructor: 'x' } }, '$.labels.constructor', /not allowed anywhere/],
    ['bad matcher regex', { ...good, scope: { matchers: [{ name: 'account', op: '=~', value: '(' }] } }, '$.scope.matchers[0].value', /regular expression/],
  ]
  for (const [name, rule, path, message] of cases) {
    const problems = validateRule(rule)
    const hit = problems.find((p) => p.path === path)
    assert.ok(hit, `${name}: expected a problem at ${path}, got ${JSON.stringify(problems)}`)
    assert.match(hit.message, message, name)
  }
})

test('a rule over 64 KiB is rejected before anything else', () => {
  const big = { ...good, annotations: { description: 'x'.repeat(70_000) } }
  const problems = validateRule(big)
  assert.equal(problems.length, 1)
  assert.equal(problems[0]?.path, '$')
  assert.match(problems[0]!.message, /64 KiB/)
})

test('all problems are reported at once', () => {
  const problems = validateRule(withConditions({ all: [{ fact: 'nope', operator: 'greaterThan', value: 1 }, { fact: 'spend_5m', operator: 'bigger', value: 1 }] }))
  assert.deepEqual(problems.map((p) => p.path).sort(), ['$.conditions.all[0].fact', '$.conditions.all[1].operator'])
})
