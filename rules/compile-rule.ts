import type { Facts } from './fact-catalogue.ts'
import type { Condition, ConditionValue, LeafCondition, Rule } from './rule-model.ts'

/** A compiled condition: synchronous, allocation-free evaluation over one entity's facts. */
export type CompiledCondition = (facts: Facts) => boolean

type FactValue = number | string | null | undefined

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
  const shared = rule.shared_conditions ?? {}
  const compile = (c: Condition): CompiledCondition => {
    if ('all' in c) {
      const parts = c.all.map(compile)
      return (f) => {
        for (let i = 0; i < parts.length; i++) if (!parts[i]!(f)) return false
        return true
      }
    }
    if ('any' in c) {
      const parts = c.any.map(compile)
      return (f) => {
        for (let i = 0; i < parts.length; i++) if (parts[i]!(f)) return true
        return false
      }
    }
    if ('not' in c) {
      const inner = compile(c.not)
      return (f) => !inner(f)
    }
    if ('condition' in c) {
      const target = shared[c.condition]
      if (target === undefined) throw new Error(`unknown shared condition ${c.condition}: validate the rule before compiling it`)
      return compile(target)
    }
    const op = OPS[c.operator]
    const fact = c.fact
    const value = c.value
    if (isFactRef(value)) {
      const ref = value.fact
      return (f) => op(f[fact], f[ref])
    }
    return (f) => op(f[fact], value)
  }
  return compile(rule.conditions)
}
