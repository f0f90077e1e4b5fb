import type { Facts } from './fact-catalogue.ts'
import type { Condition, ConditionValue, LeafCondition, Rule } from './rule-model.ts'

/** A compiled condition: synchronous, allocation-free evaluation over one entity's facts. */
export type CompiledCondition = (facts: Facts) => boolean

/** One fact's value as the compiled conditions read it (undefined: the fact is missing). */
export type FactValue = number | string | null | undefined

/**
 * A condition compiled over fact slots: it reads a number fact at `nums[base + slot]` (NaN
 * standing for null: number facts are never NaN) and any other at `values[base + slot]`, so
 * flat buffers can hold the facts of many entities (the live runner's per-tick buffers, the
 * numbers unboxed).
 */
export type SlottedCondition = (nums: Float64Array, values: ArrayLike<FactValue>, base: number) => boolean

/** Where a fact is found: its slot, and whether it is a number slot (`nums`) or not (`values`). */
export interface FactSlot {
  readonly slot: number
  readonly numeric: boolean
}

const NO_NUMS = new Float64Array(0)

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
  lessThan: (a, b) => isNumberLike(a) && (a as unknown as number) < (b as number),
  lessThanInclusive: (a, b) => isNumberLike(a) && (a as unknown as number) <= (b as number),
  greaterThan: (a, b) => isNumberLike(a) && (a as unknown as number) > (b as number),
  greaterThanInclusive: (a, b) => isNumberLike(a) && (a as unknown as number) >= (b as number),
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
    return { slot: i, numeric: false }
  })
  const values: FactValue[] = []
  return (facts) => {
    for (let i = 0; i < names.length; i++) values[i] = facts[names[i]!]
    return test(NO_NUMS, values, 0)
  }
}

/**
 * Compiles a validated rule's conditions over fact slots: `slotOf` names where each fact the
 * rule reads is found. The condition tree becomes the source of one function (nested groups
 * as `&&` / `||` / `!`, number comparisons inline, other operators through OPS), so a test is
 * one call instead of a call per node. Only slot numbers and numeric literals are written into
 * the source; every other value is passed in. compileRule is this over a slot per fact read,
 * so the property test of compileRule against json-rules-engine holds these evaluators too.
 */
export function compileRuleOver(rule: Pick<Rule, 'conditions' | 'shared_conditions'>, slotOf: (fact: string) => FactSlot): SlottedCondition {
  const shared = rule.shared_conditions ?? {}
  const constants: unknown[] = []
  let temps = 0
  const constant = (v: unknown) => `k[${constants.push(v) - 1}]`
  const slotFor = (fact: string) => {
    const s = slotOf(fact)
    if (!Number.isInteger(s.slot) || s.slot < 0) throw new Error(`no slot for fact ${fact}`)
    return s
  }
  // The fact's value as json-rules-engine would see it (a number slot's NaN is null).
  const at = (fact: string) => {
    const { slot, numeric } = slotFor(fact)
    return numeric ? `nullIfNaN(n[b + ${slot}])` : `v[b + ${slot}]`
  }
  const source = (c: Condition): string => {
    if ('all' in c) return c.all.length === 0 ? 'true' : `(${c.all.map(source).join(' && ')})`
    if ('any' in c) return c.any.length === 0 ? 'false' : `(${c.any.map(source).join(' || ')})`
    if ('not' in c) return `!${source(c.not)}`
    if ('condition' in c) {
      const target = shared[c.condition]
      if (target === undefined) throw new Error(`unknown shared condition ${c.condition}: validate the rule before compiling it`)
      return source(target)
    }
    // Only listed operators reach the source (validation checks this; the compiler checks again).
    if (!Object.hasOwn(OPS, c.operator)) throw new Error(`unknown operator ${JSON.stringify(c.operator)}: validate the rule before compiling it`)
    const value = c.value
    if (isFactRef(value)) return `ops.${c.operator}(${at(c.fact)}, ${at(value.fact)})`
    if (typeof value === 'number' && Number.isFinite(value) && Object.hasOwn(INLINE, c.operator)) {
      // For a number, json-rules-engine's number check is "not NaN", and NaN compares false anyway.
      const k = Object.is(value, -0) ? '-0' : String(value) // String() round-trips every finite double
      const cmp = INLINE[c.operator]!
      const { slot, numeric } = slotFor(c.fact)
      // A number slot holds a number or NaN (null), and NaN compares false as null does here.
      if (numeric) return `(n[b + ${slot}] ${cmp} ${k})`
      if (c.operator === 'equal') return `(${at(c.fact)} === ${k})`
      const a = `a${temps++}`
      return `((${a} = ${at(c.fact)}), typeof ${a} === 'number' ? ${a} ${cmp} ${k} : isNumberLike(${a}) && ${a} ${cmp} ${k})`
    }
    return `ops.${c.operator}(${at(c.fact)}, ${constant(value)})`
  }
  const body = source(rule.conditions)
  const locals = temps === 0 ? '' : `let ${Array.from({ length: temps }, (_, i) => `a${i}`).join(', ')}\n`
  // Generated from a validated rule: the source holds slot numbers and numeric literals only.
  const make = new Function('isNumberLike', 'nullIfNaN', 'ops', 'k', `return function compiledRule(n, v, b) {\n${locals}return ${body}\n}`) as (...args: unknown[]) => SlottedCondition
  return make(isNumberLike, nullIfNaN, OPS, constants)
}

function nullIfNaN(x: number): number | null {
  return x !== x ? null : x
}

/** Operators written inline against a number literal. */
const INLINE: Partial<Record<LeafCondition['operator'], string>> = { greaterThan: '>', greaterThanInclusive: '>=', lessThan: '<', lessThanInclusive: '<=', equal: '===' }
