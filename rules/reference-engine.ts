import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine'
import type { Facts } from './fact-catalogue.ts'
import type { Condition, Rule } from './rule-model.ts'

/** One leaf comparison as json-rules-engine evaluated it. */
export interface ExplainedCondition {
  readonly fact: string
  readonly operator: string
  readonly factValue: unknown
  readonly value: unknown
  readonly result: boolean
}

/** The outcome of running json-rules-engine on one entity's facts. */
export interface ReferenceResult {
  readonly fired: boolean
  readonly conditions: readonly ExplainedCondition[]
  /** e.g. "cpc_15m = 3.42 > 3 ✓; clicks_15m = 61 ≥ 50 ✓" */
  readonly explanation: string
}

const SYMBOL: Record<string, string> = {
  equal: '=', notEqual: '≠', lessThan: '<', lessThanInclusive: '≤', greaterThan: '>', greaterThanInclusive: '≥', in: 'in', notIn: 'not in',
}

/** Builds a json-rules-engine for one rule, with its shared conditions registered. */
export function buildReferenceEngine(rule: Pick<Rule, 'conditions' | 'shared_conditions'>): Engine {
  const engine = new Engine([], { allowUndefinedFacts: false, allowUndefinedConditions: false })
  for (const [name, c] of Object.entries(rule.shared_conditions ?? {})) engine.setCondition(name, c as never)
  engine.addRule({ conditions: rule.conditions as unknown as TopLevelCondition, event: { type: 'fired' } } as RuleProperties)
  return engine
}

/**
 * Runs json-rules-engine, the reference semantics, and explains the result condition by
 * condition. Used for the explanation attached to a firing and as the oracle of the compiler.
 */
export async function runReference(engine: Engine, facts: Facts): Promise<ReferenceResult> {
  const { events, results, failureResults } = await engine.run({ ...facts })
  const result = results[0] ?? failureResults[0]
  const leaves: ExplainedCondition[] = []
  collect((result?.conditions as unknown as Record<string, unknown>) ?? {}, leaves)
  return { fired: events.length > 0, conditions: leaves, explanation: leaves.map(formatLeaf).join('; ') }
}

function collect(node: Record<string, unknown>, out: ExplainedCondition[]): void {
  for (const group of ['all', 'any'] as const) {
    const list = node[group]
    if (Array.isArray(list)) for (const c of list) collect(c as Record<string, unknown>, out)
  }
  if (node.not !== undefined && typeof node.not === 'object') collect(node.not as Record<string, unknown>, out)
  if (typeof node.fact === 'string' && 'result' in node) {
    const value = node.value as Condition | unknown
    const valueShown = value !== null && typeof value === 'object' && !Array.isArray(value) && 'fact' in (value as object) ? node.valueResult : value
    out.push({ fact: node.fact, operator: String(node.operator), factValue: node.factResult, value: valueShown, result: node.result === true })
  }
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 4 : 2)
  if (v === null || v === undefined) return 'null'
  return typeof v === 'string' ? v : JSON.stringify(v)
}

/** "cpc_15m = 3.42 > 3 ✓" */
export function formatLeaf(c: ExplainedCondition): string {
  return `${c.fact} = ${formatValue(c.factValue)} ${SYMBOL[c.operator] ?? c.operator} ${formatValue(c.value)} ${c.result ? '✓' : '✗'}`
}
