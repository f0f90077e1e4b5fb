import type { Facts } from './fact-catalogue.ts'
import type { Condition, ConditionValue, LeafCondition, Rule } from './rule-model.ts'

/** A compiled condition: synchronous, allocation-free evaluation over one entity's facts. */
export type CompiledCondition = (facts: Facts) => boolean

/** One fact's value as the compiled conditions read it (undefined: the fact is missing). */
export type FactValue = number | string | null | undefined

/**
 * A condition compiled over fact slots: it reads fact `i` at `values[base + i]`, so one flat
 * array can hold the facts of many entities (the live runner's per-tick buffer).
 */
export type SlottedCondition = (values: ArrayLike<FactValue>, base: number) => boolean

/** json-rules-engine's fact-value check for numeric operators, reproduced exactly. */
function isNumberLike(v: FactValue): boolean {
  // Fast path for the common case (facts are numbers or null); same answer as the general one.
  if (typeof v === 'number') return v === v
  return Number.parseFloat(v as string).toString() !== 'NaN'
}

const OPS: Record<LeafCondition['operator'], (a: FactValue, b: unknown) => boolean> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  in: (a, b) => (b as unknown[]).indexOf(a) > -1,
  notIn: (a, b) => (b as unknown[]).indexOf(a) === -1,
  lessThan: (a, b) => isNumberLike(a) && (a as number) < (b as number),
  lessThanInclusive: (a, b) => isNumberLike(a) && (a as number) <= (b as number),
  greaterThan: (a, b) => isNumberLike(a) && (a as number) > (b as number),
  greaterThanInclusive: (a, b) => isNumberLike(a) && (a as number) >= (b as number),
}

function isFactRef(v: ConditionValue): v is { readonly fact: string } {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/**
 * Compiles a validated rule's conditions into a plain function with json-rules-engine's
 * semantics (property-tested against it in compile-rule.test.ts). Rules must be validated
 * first: the compiler trusts operators, facts and references.
 */
export function compileRule(rule: Pick<Rule, 'conditions' | 'shared_conditions'>): CompiledCondition {
  const names: string[] = []
  const index = new Map<string, number>()
  const test = compileRuleOver(rule, (fact) => {
    let i = index.get(fact)
    if (i === undefined) {
      i = names.length
      names.push(fact)
      index.set(fact, i)
    }
    return i
  })
  const values: FactValue[] = new Array<FactValue>(names.length)
  return (facts) => {
    for (let i = 0; i < names.length; i++) values[i] = facts[names[i]!]
    return test(values, 0)
  }
}

/**
 * Compiles a validated rule's conditions over fact slots: `slotOf` names where each fact the
 * rule reads is found. compileRule is this over a slot per fact read, so the property test of
 * compileRule against json-rules-engine holds these evaluators too.
 */
export function compileRuleOver(rule: Pick<Rule, 'conditions' | 'shared_conditions'>, slotOf: (fact: string) => number): SlottedCondition {
  const shared = rule.shared_conditions ?? {}
  const compile = (c: Condition): SlottedCondition => {
    if ('all' in c) {
      const parts = c.all.map(compile)
      return (v, b) => {
        for (let i = 0; i < parts.length; i++) if (!parts[i]!(v, b)) return false
        return true
      }
    }
    if ('any' in c) {
      const parts = c.any.map(compile)
      return (v, b) => {
        for (let i = 0; i < parts.length; i++) if (parts[i]!(v, b)) return true
        return false
      }
    }
    if ('not' in c) {
      const inner = compile(c.not)
      return (v, b) => !inner(v, b)
    }
    if ('condition' in c) {
      const target = shared[c.condition]
      if (target === undefined) throw new Error(`unknown shared condition ${c.condition}: validate the rule before compiling it`)
      return compile(target)
    }
    const op = OPS[c.operator]
    const slot = slotOf(c.fact)
    const value = c.value
    if (isFactRef(value)) {
      const ref = slotOf(value.fact)
      return (v, b) => op(v[b + slot], v[b + ref])
    }
    return (v, b) => op(v[b + slot], value)
  }
  return compile(rule.conditions)
}
