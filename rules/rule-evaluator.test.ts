import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fingerprintOf } from '../alerts/alert-event.ts'
import { INACTIVE, stepAlert, type AlertState } from '../alerts/state-machine.ts'
import { compileRule } from './compile-rule.ts'
import { parseDuration } from './duration.ts'
import type { Rule, StoredRule } from './rule-model.ts'
import { RuleEvaluator, type EntityInput } from './rule-evaluator.ts'
import { inScope } from './scope.ts'

/**
 * The evaluator as it first was (rule by rule over every entity, states by fingerprint): the
 * specification the per-entity, slotted evaluator must match transition for transition.
 */
class NaiveEvaluator {
  readonly states: Map<string, AlertState>
  private readonly lastRunMs = new Map<string, number>()
  private rules: StoredRule[] = []
  constructor(private readonly tenant: string, states: ReadonlyMap<string, AlertState> = new Map()) {
    this.states = new Map(states)
  }
  setRules(rules: readonly StoredRule[]): void {
    this.rules = rules.filter((s) => s.rule.enabled !== false)
  }
  evaluate(entities: readonly EntityInput[], nowMs: number): { transitions: string[]; changed: Map<string, AlertState> } {
    const transitions: string[] = []
    const changed = new Map<string, AlertState>()
    for (const { rule } of this.rules) {
      const every = parseDuration(rule.every ?? '0s') ?? 0
      if (every > 0 && nowMs - (this.lastRunMs.get(rule.id) ?? -Infinity) < every) continue
      this.lastRunMs.set(rule.id, nowMs)
      const test = compileRule(rule)
      const timing = { forMs: parseDuration(rule.for ?? '0s') ?? 0, keepFiringForMs: parseDuration(rule.keep_firing_for ?? '0s') ?? 0, noData: rule.no_data ?? 'ok' }
      for (const input of entities) {
        if (input.level !== rule.level || !inScope(rule.scope, input.labels)) continue
        const fp = fingerprintOf(rule.id, this.tenant, input.level, input.entity, rule.labels ?? {})
        const before = this.states.get(fp) ?? INACTIVE
        const observation = input.hasData ? (test(input.facts) ? 'true' : 'false') : 'no-data'
        if (before === INACTIVE && observation !== 'true' && timing.noData !== 'alert') continue
        const { state, transition } = stepAlert(before, observation, timing, nowMs)
        if (state !== before) {
          if (state.phase === 'inactive' && before.phase === 'inactive') {
            if (this.states.has(fp)) changed.set(fp, state)
            this.states.delete(fp)
          } else {
            if (state.phase === 'inactive') this.states.delete(fp)
            else this.states.set(fp, state)
            changed.set(fp, state)
          }
        }
        if (transition !== undefined) transitions.push(`${rule.id} ${input.entity} ${transition.kind} ${fp}`)
      }
    }
    return { transitions, changed }
  }
}

const rule = (id: string, over: Partial<Rule>): StoredRule => ({
  rule: { id, name: id, level: 'campaign', severity: 'warning', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 5 }] }, ...over },
  version: 1,
  author: 't',
  savedAtMs: 0,
})

// Rules covering for, keep_firing_for, every, each no-data policy, scopes, labels, two levels,
// fact references, strings, nesting and a disabled rule.
const RULES: StoredRule[] = [
  rule('plain', {}),
  rule('for', { for: '20s', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 3 }, { fact: 'cpc_15m', operator: 'lessThan', value: 2 }] } }),
  rule('keep', { keep_firing_for: '30s', labels: { team: 'a' }, conditions: { any: [{ fact: 'cpc_15m', operator: 'greaterThanInclusive', value: 4 }, { not: { fact: 'spend_5m', operator: 'greaterThan', value: 1 } }] } }),
  rule('nodata-alert', { no_data: 'alert', for: '10s', conditions: { all: [{ fact: 'spend_5m', operator: 'equal', value: 0 }] } }),
  rule('nodata-keep', { no_data: 'keep_last', conditions: { all: [{ fact: 'cpc_15m', operator: 'greaterThan', value: { fact: 'spend_5m' } }] } }),
  rule('every', { every: '30s', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 2 }] } }),
  rule('scoped', { scope: { accounts: ['act_1'], matchers: [{ name: 'entity', op: '=~', value: 'c[0-2]' }] } }),
  rule('meta-only', { conditions: { all: [{ fact: 'platform', operator: 'in', value: ['meta'] }, { fact: 'spend_5m', operator: 'greaterThan', value: 4 }] } }),
  rule('accounts', { level: 'account', for: '10s', conditions: { all: [{ fact: 'spend_5m', operator: 'greaterThan', value: 6 }] } }),
  rule('off', { enabled: false }),
]

const ENTITIES = [
  ...['c0', 'c1', 'c2', 'c3', 'c4'].map((e, i) => ({ level: 'campaign' as const, entity: e, account: i < 3 ? 'act_1' : 'act_2', platform: i % 2 ? 'meta' : 'google' })),
  { level: 'account' as const, entity: 'act_1', account: 'act_1', platform: 'meta' },
  { level: 'account' as const, entity: 'act_2', account: 'act_2', platform: 'google' },
]

const observationArb = fc.record({
  spend_5m: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constant(null)),
  cpc_15m: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(null)),
  hasData: fc.boolean(),
})
const tickArb = fc.array(observationArb, { minLength: ENTITIES.length, maxLength: ENTITIES.length })

function inputs(tick: ReadonlyArray<{ spend_5m: number | null; cpc_15m: number | null; hasData: boolean }>, hasDataBias: number): EntityInput[] {
  return ENTITIES.map((e, i) => {
    const o = tick[i]!
    return {
      level: e.level, entity: e.entity, hasData: o.hasData || i % hasDataBias !== 0,
      facts: { spend_5m: o.spend_5m, cpc_15m: o.cpc_15m, platform: e.platform },
      labels: { level: e.level, platform: e.platform, account: e.account, campaign: e.level === 'campaign' ? e.entity : '', adset: '', entity: e.entity },
    }
  })
}

test('the evaluator finds exactly the transitions and state changes of the rule-by-rule evaluator, across restarts and rule changes', () => {
  fc.assert(
    fc.property(fc.array(tickArb, { minLength: 10, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), (ticks, bias, restartAt, changeAt) => {
      let naive = new NaiveEvaluator('t')
      let rules = RULES
      naive.setRules(rules)
      let ev = new RuleEvaluator('t')
      ev.setRules(RULES)
      ticks.forEach((tick, t) => {
        const nowMs = 1_000_000 + t * 5_000
        if (t === restartAt) {
          // A restart: the states saved so far are loaded into new evaluators.
          ev = new RuleEvaluator('t', new Map(naive.states))
          ev.setRules(rules)
          naive = new NaiveEvaluator('t', naive.states)
          naive.setRules(rules)
        }
        if (t === changeAt) {
          // A rule change: a rule's labels change (new identities) and rules are reordered.
          rules = [...RULES.slice(3), { ...RULES[0]!, rule: { ...RULES[0]!.rule, labels: { v: '2' } }, version: 2 }, ...RULES.slice(1, 3)]
          naive.setRules(rules)
          ev.setRules(rules)
        }
        const batch = inputs(tick, bias)
        const want = naive.evaluate(batch, nowMs)
        const got = ev.evaluate(batch, nowMs)
        assert.deepEqual(got.transitions.map((x) => `${x.stored.rule.id} ${x.input.entity} ${x.transition.kind} ${x.fingerprint}`), want.transitions, `tick ${t}`)
        assert.deepEqual(new Map([...got.changed].sort()), new Map([...want.changed].sort()), `tick ${t}`)
        assert.deepEqual(ev.openFingerprints().sort(), [...naive.states.keys()].sort(), `tick ${t}`)
      })
    }),
    { numRuns: 200, seed: 1121 },
  )
})

test('a pending alert loaded at start fires once its `for` has elapsed, without a second pending', () => {
  const r = rule('for', { for: '20s' })
  const first = new RuleEvaluator('t')
  first.setRules([r])
  const entity: EntityInput = { level: 'campaign', entity: 'c1', hasData: true, facts: { spend_5m: 9 }, labels: { level: 'campaign', platform: 'meta', account: 'a', campaign: 'c1', adset: '', entity: 'c1' } }
  const pending = first.evaluate([entity], 0)
  assert.deepEqual(pending.transitions.map((t) => t.transition.kind), ['pending'])
  // Restart 10 s later with the saved states: still pending (10 s < 20 s), then firing at 20 s.
  const again = new RuleEvaluator('t', pending.changed)
  again.setRules([r])
  assert.deepEqual(again.evaluate([entity], 10_000).transitions, [])
  assert.deepEqual(again.evaluate([entity], 20_000).transitions.map((t) => t.transition.kind), ['firing'])
})
