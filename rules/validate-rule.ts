import { Ajv } from 'ajv'
import { FACTS } from './fact-catalogue.ts'
import { parseDuration } from './duration.ts'
import { LIST_OPERATORS, NUMERIC_OPERATORS, OPERATORS, type Rule } from './rule-model.ts'
import { RULE_SCHEMA } from './rule-schema.ts'

/** One problem in a rule: where (JSON path from `$`), what is wrong, and what would be valid. */
export interface RuleProblem {
  readonly path: string
  readonly message: string
}

export const MAX_RULE_BYTES = 64 * 1024
export const MAX_CONDITION_DEPTH = 10
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

const ajv = new Ajv({ allErrors: true, strict: true })
const validateEnvelope = ajv.compile(RULE_SCHEMA)

/**
 * Validates a rule as saved: size, forbidden keys, the JSON Schema of its envelope, then each
 * condition (known facts, operators that fit the fact's type, values of the right type,
 * resolvable condition references, depth ≤ 10) and durations. Returns every problem found.
 */
export function validateRule(input: unknown, rawText?: string): RuleProblem[] {
  const text = rawText ?? safeStringify(input)
  if (text !== undefined && Buffer.byteLength(text) > MAX_RULE_BYTES) {
    return [{ path: '$', message: `rule is ${Buffer.byteLength(text)} bytes; at most ${MAX_RULE_BYTES} (64 KiB) are allowed` }]
  }
  const forbidden = findForbiddenKeys(input, '$')
  if (forbidden.length > 0) return forbidden
  if (!validateEnvelope(input)) {
    return (validateEnvelope.errors ?? []).map((e) => {
      const path = pointerToPath(e.instancePath)
      if (e.keyword === 'additionalProperties') {
        const extra = (e.params as { additionalProperty: string }).additionalProperty
        return { path: `${path}.${extra}`, message: `unknown field "${extra}"; allowed here: ${Object.keys(schemaAt(e.schemaPath)).join(', ')}` }
      }
      if (e.keyword === 'enum') return { path, message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` }
      if (e.keyword === 'pattern' && /for|every|keep_firing_for/.test(path)) return { path, message: 'must be a duration such as "30s", "5m", "1h30m"' }
      if (e.keyword === 'required') return { path: `${path === '$' ? '$' : path}.${(e.params as { missingProperty: string }).missingProperty}`, message: 'is required' }
      return { path, message: e.message ?? 'is invalid' }
    })
  }
  const rule = input as unknown as Rule
  const problems: RuleProblem[] = []
  for (const field of ['for', 'keep_firing_for', 'every'] as const) {
    const v = rule[field]
    if (v !== undefined && parseDuration(v) === undefined) problems.push({ path: `$.${field}`, message: 'must be a duration such as "30s", "5m", "1h30m"' })
  }
  for (const [i, m] of (rule.scope?.matchers ?? []).entries()) {
    if (m.op === '=~' || m.op === '!~') {
      try {
        new RegExp(`^(?:${m.value})$`)
      } catch (err) {
        problems.push({ path: `$.scope.matchers[${i}].value`, message: `is not a valid regular expression: ${(err as Error).message}` })
      }
    }
  }
  const shared = rule.shared_conditions ?? {}
  const roots: Array<[string, unknown]> = [['$.conditions', rule.conditions], ...Object.entries(shared).map(([n, c]): [string, unknown] => [`$.shared_conditions.${n}`, c])]
  for (const [path, c] of roots) {
    if (c !== null && typeof c === 'object' && !['all', 'any', 'not', 'condition'].some((k) => k in (c as object))) {
      problems.push({ path, message: 'must start with a group: { "all": [...] }, { "any": [...] }, { "not": {...} } or { "condition": name }' })
    }
  }
  for (const [name, c] of Object.entries(shared)) walkCondition(c, `$.shared_conditions.${name}`, 1, shared, problems, new Set([name]))
  walkCondition(rule.conditions, '$.conditions', 1, shared, problems, new Set())
  return problems
}

function walkCondition(c: unknown, path: string, depth: number, shared: Readonly<Record<string, unknown>>, out: RuleProblem[], refStack: Set<string>): void {
  if (depth > MAX_CONDITION_DEPTH) {
    out.push({ path, message: `conditions are nested more than ${MAX_CONDITION_DEPTH} levels deep` })
    return
  }
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    out.push({ path, message: 'must be a condition object: { "all": [...] }, { "any": [...] }, { "not": {...} }, { "condition": name } or { "fact", "operator", "value" }' })
    return
  }
  const o = c as Record<string, unknown>
  const keys = Object.keys(o)
  for (const group of ['all', 'any'] as const) {
    if (group in o) {
      if (keys.length !== 1) out.push({ path, message: `a "${group}" condition has no other fields; found ${keys.filter((k) => k !== group).join(', ')}` })
      const list = o[group]
      if (!Array.isArray(list) || list.length === 0) {
        out.push({ path: `${path}.${group}`, message: 'must be a non-empty array of conditions' })
        return
      }
      list.forEach((child, i) => walkCondition(child, `${path}.${group}[${i}]`, depth + 1, shared, out, refStack))
      return
    }
  }
  if ('not' in o) {
    if (keys.length !== 1) out.push({ path, message: `a "not" condition has no other fields; found ${keys.filter((k) => k !== 'not').join(', ')}` })
    walkCondition(o.not, `${path}.not`, depth + 1, shared, out, refStack)
    return
  }
  if ('condition' in o) {
    const name = o.condition
    if (keys.length !== 1) out.push({ path, message: 'a condition reference has only the field "condition"' })
    if (typeof name !== 'string' || !(name in shared)) {
      out.push({ path: `${path}.condition`, message: `refers to an unknown shared condition${Object.keys(shared).length ? `; defined: ${Object.keys(shared).join(', ')}` : ' (define it under "shared_conditions")'}` })
    } else if (refStack.has(name)) {
      out.push({ path: `${path}.condition`, message: `"${name}" refers to itself` })
    } else {
      refStack.add(name)
      walkCondition(shared[name], `$.shared_conditions.${name}`, depth + 1, shared, [], refStack) // depth and cycles only
      refStack.delete(name)
    }
    return
  }
  walkLeaf(o, path, out)
}

function walkLeaf(o: Record<string, unknown>, path: string, out: RuleProblem[]): void {
  for (const k of Object.keys(o)) {
    if (!['fact', 'operator', 'value'].includes(k)) out.push({ path: `${path}.${k}`, message: `unknown field "${k}"; a comparison has "fact", "operator" and "value"` })
  }
  const spec = typeof o.fact === 'string' ? FACTS.get(o.fact) : undefined
  if (typeof o.fact !== 'string') out.push({ path: `${path}.fact`, message: 'is required: the name of a fact, e.g. "spend_5m"' })
  else if (spec === undefined) out.push({ path: `${path}.fact`, message: `unknown fact "${o.fact}"${suggest(o.fact)}` })
  const op = o.operator
  if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) {
    out.push({ path: `${path}.operator`, message: `${typeof op === 'string' ? `unknown operator "${op}"` : 'is required'}; one of ${OPERATORS.join(', ')}` })
    return
  }
  if (spec !== undefined && spec.type === 'string' && NUMERIC_OPERATORS.has(op)) {
    out.push({ path: `${path}.operator`, message: `"${op}" compares numbers but ${spec.name} is a string; use equal, notEqual, in or notIn` })
  }
  if (!('value' in o)) {
    out.push({ path: `${path}.value`, message: 'is required' })
    return
  }
  const v = o.value
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const ref = (v as Record<string, unknown>).fact
    if (Object.keys(v).length !== 1 || typeof ref !== 'string') out.push({ path: `${path}.value`, message: 'an object value must be a fact reference: { "fact": name }' })
    else if (!FACTS.has(ref)) out.push({ path: `${path}.value.fact`, message: `unknown fact "${ref}"${suggest(ref)}` })
    else if (NUMERIC_OPERATORS.has(op) && FACTS.get(ref)!.type !== 'number') out.push({ path: `${path}.value.fact`, message: `"${op}" needs a number fact; ${ref} is a string` })
    else if (LIST_OPERATORS.has(op)) out.push({ path: `${path}.value`, message: `"${op}" needs a list of values, not a fact` })
    return
  }
  if (LIST_OPERATORS.has(op)) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' && typeof x !== 'number')) out.push({ path: `${path}.value`, message: `"${op}" needs an array of strings or numbers` })
  } else if (NUMERIC_OPERATORS.has(op)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) out.push({ path: `${path}.value`, message: `"${op}" needs a number` })
  } else if (Array.isArray(v)) {
    out.push({ path: `${path}.value`, message: `"${op}" compares one value; use "in" / "notIn" for a list` })
  } else if (spec !== undefined && v !== null && typeof v !== (spec.type === 'number' ? 'number' : 'string')) {
    out.push({ path: `${path}.value`, message: `${spec.name} is a ${spec.type}; compare it with a ${spec.type} or null` })
  }
}

function findForbiddenKeys(v: unknown, path: string): RuleProblem[] {
  if (v === null || typeof v !== 'object') return []
  const out: RuleProblem[] = []
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...findForbiddenKeys(x, `${path}[${i}]`)))
  else {
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) out.push({ path: `${path}.${k}`, message: `the key "${k}" is not allowed anywhere in a rule` })
      else out.push(...findForbiddenKeys((v as Record<string, unknown>)[k], `${path}.${k}`))
    }
  }
  return out
}

function suggest(name: string): string {
  const stem = name.split('_')[0] ?? name
  const close = [...FACTS.keys()].filter((f) => f.startsWith(stem)).slice(0, 6)
  return close.length > 0 ? `; did you mean ${close.join(', ')}?` : '; see docs/rules.md for the list of facts'
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return '$'
  return '$' + pointer.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`)).join('')
}

function schemaAt(schemaPath: string): Record<string, unknown> {
  let node: unknown = RULE_SCHEMA
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1)) node = (node as Record<string, unknown>)[part]
  return ((node as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>
}

function safeStringify(v: unknown): string | undefined {
  try {
    return JSON.stringify(v)
  } catch {
    return undefined
  }
}
