import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { compileRule, compileRuleOver, type FactValue } from './compile-rule.ts'
import type { Facts } from './fact-catalogue.ts'
import { buildReferenceEngine, runReference } from './reference-engine.ts'
import type { Condition, Rule } from './rule-model.ts'
import { validateRule } from './validate-rule.ts'

const NUMBER_FACTS = ['spend_5m', 'cpc_15m', 'ctr_1h', 'pacing', 'clicks_15m'] as const
const STRING_FACTS = ['platform', 'account'] as const
const numberValue = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, 3, -0))
const factValue = fc.oneof({ weight: 5, arbitrary: numberValue }, { weight: 1, arbitrary: fc.constant(null) })
const stringValue = fc.constantFrom('meta', 'google', 'act_1', 'act_2', '')

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({
    fact: fc.constantFrom(...NUMBER_FACTS),
    operator: fc.constantFrom('lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive', 'equal', 'notEqual'),
    value: fc.oneof({ weight: 4, arbitrary: numberValue }, { weight: 1, arbitrary: fc.constantFrom(...NUMBER_FACTS).map((fact) => ({ fact })) }),
  }),
  fc.record({ fact: fc.constantFrom(...NUMBER_FACTS), operator: fc.constantFrom('in', 'notIn'), value: fc.array(numberValue, { minLength: 1, maxLength: 4 }) }),
  fc.record({ fact: fc.constantFrom(...STRING_FACTS), operator: fc.constantFrom('equal', 'notEqual'), value: fc.oneof(stringValue, fc.constant(null)) }),
  fc.record({ fact: fc.constantFrom(...STRING_FACTS), operator: fc.constantFrom('in', 'notIn'), value: fc.array(stringValue, { minLength: 1, maxLength: 3 }) }),
) as fc.Arbitrary<Condition>

const { tree } = fc.letrec<{ tree: Condition }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(tie('tree'), { minLength: 1, maxLength: 4 }).map((all) => ({ all })) },
    { weight: 1, arbitrary: fc.array(tie('tree'), { minLength: 1, maxLength: 4 }).map((any) => ({ any })) },
    { weight: 1, arbitrary: tie('tree').map((not) => ({ not })) },
    { weight: 1, arbitrary: fc.constant({ condition: 'shared' }) },
  ),
}))

const factsArb: fc.Arbitrary<Facts> = fc.record({
  spend_5m: factValue, cpc_15m: factValue, ctr_1h: factValue, pacing: factValue, clicks_15m: factValue,
  platform: fc.oneof(stringValue, fc.constant(null)), account: stringValue,
})

// json-rules-engine wants a group (all / any / not) at the root of a rule and of a shared condition.
const sharedArb = leaf.map((l) => ({ all: [l] }) as Condition)

test('the compiled evaluator agrees with json-rules-engine on 5,000 random rules × facts', async () => {
  let cases = 0
  let fired = 0
  await fc.assert(
    fc.asyncProperty(fc.record({ top: fc.oneof(tree.map((t) => ({ all: [t] })), tree.map((t) => ({ any: [t] }))), shared: sharedArb }), fc.array(factsArb, { minLength: 1, maxLength: 3 }), async ({ top, shared }, factSets) => {
      const rule = { conditions: top as Condition, shared_conditions: { shared } }
      const compiled = compileRule(rule)
      // As the live runner compiles it: number facts in unboxed number slots (NaN for null).
      const names: string[] = [...NUMBER_FACTS, ...STRING_FACTS]
      const slotted = compileRuleOver(rule, (fact) => ({ slot: names.indexOf(fact), numeric: (NUMBER_FACTS as readonly string[]).includes(fact) }))
      const engine = buildReferenceEngine(rule)
      for (const facts of factSets) {
        cases++
        const reference = (await runReference(engine, facts)).fired
        if (reference) fired++
        assert.equal(compiled(facts), reference, `rule ${JSON.stringify(rule)} facts ${JSON.stringify(facts)}`)
        const nums = Float64Array.from(names, (n) => (typeof facts[n] === 'number' ? (facts[n] as number) : NaN))
        const values: FactValue[] = names.map((n) => facts[n])
        assert.equal(slotted(nums, values, 0), reference, `number slots: rule ${JSON.stringify(rule)} facts ${JSON.stringify(facts)}`)
      }
    }),
    { numRuns: 3_000, seed: 20261121 },
  )
  assert.ok(cases >= 5_000, `${cases} cases`)
  // Both outcomes must be well represented, or agreement would prove little.
  assert.ok(fired > cases * 0.15 && fired < cases * 0.85, `fired ${fired} of ${cases}`)
})

test('the generated rules are valid adwatch rules (the property covers what users can save)', () => {
  fc.assert(
    fc.property(tree, sharedArb, (t, shared) => {
      const rule: Rule = { id: 'r', name: 'r', level: 'campaign', severity: 'info', conditions: { all: [t] }, shared_conditions: { shared } }
      const problems = validateRule(rule).filter((p) => !/compares one value|needs a number|is a number; compare|is a string; compare/.test(p.message))
      assert.deepEqual(problems, [])
    }),
    { numRuns: 300, seed: 7 },
  )
})

test('explanations name each fact, its value and the comparison', async () => {
  const rule = { conditions: { all: [{ fact: 'cpc_15m', operator: 'greaterThan', value: 3 }, { fact: 'clicks_15m', operator: 'greaterThanInclusive', value: 50 }] } as Condition }
  const r = await runReference(buildReferenceEngine(rule), { cpc_15m: 3.42, clicks_15m: 61 })
  assert.equal(r.fired, true)
  assert.equal(r.explanation, 'cpc_15m = 3.42 > 3 ✓; clicks_15m = 61 ≥ 50 ✓')
  const miss = await runReference(buildReferenceEngine(rule), { cpc_15m: null, clicks_15m: 61 })
  assert.equal(miss.fired, false)
  assert.match(miss.explanation, /cpc_15m = null > 3 ✗/)
})

test('the compiler writes only listed operators into its generated source', () => {
  // An unvalidated rule must not get its operator (or anything else) into the generated code.
  for (const operator of ['constructor', 'toString', 'greaterThan(v, 0) || process.exit(1); ops.equal']) {
    const rule = { conditions: { all: [{ fact: 'spend_5m', operator, value: 1 }] } as unknown as Condition }
    assert.throws(() => compileRule(rule), /unknown operator/)
  }
  // Values never enter the source: a string value stays data.
  const tricky = compileRule({ conditions: { all: [{ fact: 'platform', operator: 'equal', value: "x') || true || ('" }] } })
  assert.equal(tricky({ platform: 'meta' }), false)
})
