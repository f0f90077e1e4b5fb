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

/** The timing of the rule an identity belongs to in `rules`, if any. */
function keepFiringOf(rules: readonly StoredRule[], fp: string): number | undefined {
  for (const { rule } of rules) {
    for (const e of ENTITIES) {
      if (e.level === rule.level && fingerprintOf(rule.id, 't', e.level, e.entity, rule.labels ?? {}) === fp) return parseDuration(rule.keep_firing_for ?? '0s') ?? 0
    }
  }
  return undefined
}

test('the evaluator finds exactly the transitions of the rule-by-rule evaluator, across restarts from what it saved and rule changes', () => {
  fc.assert(
    fc.property(fc.array(tickArb, { minLength: 10, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), (ticks, bias, restartAt, changeAt) => {
      let naive = new NaiveEvaluator('t')
      let rules = RULES
      naive.setRules(rules)
      let ev = new RuleEvaluator('t')
      ev.setRules(RULES)
      // What the store holds: the evaluator's saved changes applied in order.
      const stored = new Map<string, AlertState>()
      ticks.forEach((tick, t) => {
        const nowMs = 1_000_000 + t * 5_000
        if (t === restartAt) {
          // A restart: the new evaluator loads what was saved; the reference keeps its exact states.
          ev = new RuleEvaluator('t', new Map(stored))
          ev.setRules(rules)
          naive = new NaiveEvaluator('t', naive.states)
          naive.setRules(rules)
        }
        if (t === changeAt) {
          // A rule change: a rule's labels change (new identities), a rule gains keep_firing_for
          // (its firing alerts' last-true time starts to matter) and rules are reordered.
          const gained = { ...RULES[1]!, rule: { ...RULES[1]!.rule, keep_firing_for: '15s' }, version: 2 }
          rules = [...RULES.slice(3), { ...RULES[0]!, rule: { ...RULES[0]!.rule, labels: { v: '2' } }, version: 2 }, gained, RULES[2]!]
          naive.setRules(rules)
          ev.setRules(rules)
        }
        const batch = inputs(tick, bias)
        const want = naive.evaluate(batch, nowMs)
        const got = ev.evaluate(batch, nowMs)
        assert.deepEqual(got.transitions.map((x) => `${x.stored.rule.id} ${x.input.entity} ${x.transition.kind} ${x.fingerprint}`), want.transitions, `tick ${t}`)
        assert.deepEqual(ev.openFingerprints().sort(), [...naive.states.keys()].sort(), `tick ${t}`)
        // Every saved state is the identity's current state; every deletion is of a closed one.
        for (const [fp, s] of got.changed) {
          if (s.phase === 'inactive') assert.equal(naive.states.has(fp), false, `tick ${t} ${fp}`)
          else assert.deepEqual(s, naive.states.get(fp), `tick ${t} ${fp}`)
          if (s.phase === 'inactive') stored.delete(fp)
          else stored.set(fp, s)
        }
        // The store holds the open identities, agreeing with the exact states on every field a
        // decision reads: the last-true time only for firing alerts with keep_firing_for.
        assert.deepEqual([...stored.keys()].sort(), [...naive.states.keys()].sort(), `tick ${t}`)
        for (const [fp, exact] of naive.states) {
          const s = stored.get(fp)!
          assert.deepEqual([s.phase, s.activeSinceMs, s.firingSinceMs, s.lastObservation], [exact.phase, exact.activeSinceMs, exact.firingSinceMs, exact.lastObservation], `tick ${t} ${fp}`)
          if (exact.phase === 'firing' && (keepFiringOf(rules, fp) ?? 0) > 0) assert.equal(s.lastTrueMs, exact.lastTrueMs, `tick ${t} ${fp}`)
        }
      })
    }),
    { numRuns: 200, seed: 1121 },
  )
})

test('a steady firing alert is saved when it fires and when it resolves, not on every tick; with keep_firing_for its last-true time is saved as it moves', () => {
  const entity = (spend: number): EntityInput => ({ level: 'campaign', entity: 'c1', hasData: true, facts: { spend_5m: spend }, labels: { level: 'campaign', platform: 'meta', account: 'a', campaign: 'c1', adset: '', entity: 'c1' } })
  const plain = new RuleEvaluator('t')
  plain.setRules([rule('plain', {})])
  const saves = [9, 9, 9, 9, 0].map((spend, i) => [...plain.evaluate([entity(spend)], i * 1_000).changed.values()].map((s) => s.phase))
  assert.deepEqual(saves, [['firing'], [], [], [], ['inactive']])
  const keep = new RuleEvaluator('t')
  keep.setRules([rule('keep', { keep_firing_for: '30s' })])
  const lastTrue = [9, 9, 9, 0].map((spend, i) => [...keep.evaluate([entity(spend)], i * 1_000).changed.values()].map((s) => s.lastTrueMs))
  assert.deepEqual(lastTrue, [[0], [1_000], [2_000], [2_000]]) // the false tick saves lastObservation
  // A rule that gains keep_firing_for: its firing alert's last-true time (not saved while it did
  // not matter) is saved by the next pass, even one that changes nothing else (no data).
  assert.deepEqual([...plain.evaluate([entity(9)], 10_000).changed.values()].map((s) => s.phase), ['firing'])
  plain.evaluate([entity(9)], 11_000)
  plain.setRules([rule('plain', { keep_firing_for: '30s' })])
  assert.deepEqual([...plain.evaluate([{ ...entity(9), hasData: false }], 12_000).changed.values()].map((s) => [s.phase, s.lastTrueMs]), [['firing', 11_000]])
  assert.deepEqual([...plain.evaluate([{ ...entity(9), hasData: false }], 13_000).changed.values()], [])
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
