import { LEVELS } from '../../../stream/event.ts'
import { FACTS } from '../../../rules/fact-catalogue.ts'
import { NO_DATA_POLICIES, NUMERIC_OPERATORS, OPERATORS, SEVERITIES } from '../../../rules/rule-model.ts'
import { RULE_SCHEMA } from '../../../rules/rule-schema.ts'

/** One suggestion (CodeMirror's Completion, without the editor). */
export interface RuleCompletionOption {
  readonly label: string
  /** Text inserted instead of the label (e.g. with quotes). */
  readonly apply?: string
  readonly type: 'property' | 'variable' | 'keyword' | 'enum' | 'constant'
  readonly detail?: string
  readonly info?: string
}

/** Suggestions replacing text[from, pos). */
export interface RuleCompletions {
  readonly from: number
  readonly options: readonly RuleCompletionOption[]
}

type PathPart = string | number

const CONDITION_KEYS: RuleCompletionOption[] = [
  { label: 'fact', type: 'property', detail: 'a fact name, e.g. "spend_5m"' },
  { label: 'operator', type: 'property', detail: OPERATORS.join(' | ') },
  { label: 'value', type: 'property', detail: 'number, string, list, or { "fact": name }' },
  { label: 'all', type: 'property', detail: 'every condition holds' },
  { label: 'any', type: 'property', detail: 'at least one holds' },
  { label: 'not', type: 'property', detail: 'negates one condition' },
  { label: 'condition', type: 'property', detail: 'name of a shared condition' },
]

const OBJECT_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(RULE_SCHEMA.properties),
  scope: Object.keys(RULE_SCHEMA.properties.scope.properties),
  annotations: Object.keys(RULE_SCHEMA.properties.annotations.properties),
  matcher: Object.keys(RULE_SCHEMA.properties.scope.properties.matchers.items.properties),
}

const FACT_OPTIONS: RuleCompletionOption[] = [...FACTS.values()].map((f) => ({ label: f.name, type: 'variable', detail: f.type, info: f.description }))

/**
 * What to suggest at `pos` of a draft rule (which may not parse yet): property names that fit
 * the object the cursor is in, fact names after `"fact":`, operators (only those that fit the
 * condition's fact), and the enums of level, severity, no_data and matchers. Pure.
 */
export function completeRuleAt(text: string, pos: number): RuleCompletions | null {
  const before = text.slice(0, pos)
  const ctx = scanContext(before)
  if (ctx === undefined) return null
  // Inside a string: a property name, or the value of `"key": "…`.
  if (ctx.inString) {
    const prefixStart = ctx.stringStart + 1
    if (ctx.isKey) return { from: prefixStart, options: keyOptions(ctx.path).map((o) => ({ ...o, apply: o.label })) }
    const key = ctx.path[ctx.path.length - 1]
    const values = valueOptions(key, ctx.path.slice(0, -1), text, ctx.stringStart)
    return values === undefined ? null : { from: prefixStart, options: values }
  }
  // Right after `"key": ` with nothing typed: quoted values.
  const afterColon = /"([A-Za-z_]+)"\s*:\s*$/.exec(before)
  if (afterColon !== null && ctx.expectingValue) {
    const values = valueOptions(afterColon[1]!, ctx.path, text, pos)
    if (values === undefined) return null
    return { from: pos, options: values.map((o) => ({ ...o, apply: o.type === 'constant' ? o.label : JSON.stringify(o.label) })) }
  }
  // Where a property name may start: `{` or `,` inside an object.
  if (ctx.expectingKey) {
    const word = /[A-Za-z_]*$/.exec(before)![0]
    return { from: pos - word.length, options: keyOptions(ctx.path).map((o) => ({ ...o, apply: `"${o.label}": ` })) }
  }
  return null
}

function keyOptions(path: readonly PathPart[]): RuleCompletionOption[] {
  if (isConditionPath(path)) return CONDITION_KEYS
  const kind = path.length === 0 ? '' : path.length === 1 ? String(path[0]) : path[0] === 'scope' && path[1] === 'matchers' ? 'matcher' : undefined
  const keys = kind === undefined ? undefined : OBJECT_KEYS[kind]
  return (keys ?? []).map((k) => ({ label: k, type: 'property' as const }))
}

/** True when the object at `path` is a condition (inside `conditions` or a shared condition). */
function isConditionPath(path: readonly PathPart[]): boolean {
  if (path[0] === 'conditions') return true
  return path[0] === 'shared_conditions' && path.length >= 2
}

function valueOptions(key: PathPart | undefined, objectPath: readonly PathPart[], text: string, at: number): RuleCompletionOption[] | undefined {
  const inCondition = isConditionPath(objectPath)
  if (key === 'fact' && (inCondition || objectPath[objectPath.length - 1] === 'value')) return FACT_OPTIONS
  if (key === 'operator' && inCondition) {
    const fact = siblingFact(text, at)
    const spec = fact === undefined ? undefined : FACTS.get(fact)
    const ops = spec?.type === 'string' ? OPERATORS.filter((o) => !NUMERIC_OPERATORS.has(o)) : OPERATORS
    return ops.map((o) => ({ label: o, type: 'keyword', detail: spec === undefined ? undefined : `for ${spec.type} facts` }))
  }
  if (objectPath.length === 0) {
    if (key === 'level') return LEVELS.map((l) => ({ label: l, type: 'enum' }))
    if (key === 'severity') return SEVERITIES.map((s) => ({ label: s, type: 'enum' }))
    if (key === 'no_data') return NO_DATA_POLICIES.map((s) => ({ label: s, type: 'enum' }))
    if (key === 'enabled') return ['true', 'false'].map((s) => ({ label: s, type: 'constant' }))
    if (key === 'for' || key === 'every' || key === 'keep_firing_for') return ['30s', '1m', '5m', '15m', '1h'].map((s) => ({ label: s, type: 'constant', detail: 'duration' })).map((o) => ({ ...o, type: 'enum' as const }))
  }
  if (objectPath[0] === 'scope' && objectPath[1] === 'matchers') {
    if (key === 'name') return RULE_SCHEMA.properties.scope.properties.matchers.items.properties.name.enum.map((s) => ({ label: s, type: 'enum' }))
    if (key === 'op') return RULE_SCHEMA.properties.scope.properties.matchers.items.properties.op.enum.map((s) => ({ label: s, type: 'enum' }))
  }
  return undefined
}

/** The `"fact"` of the condition object around `at`, if written already. */
function siblingFact(text: string, at: number): string | undefined {
  const open = text.lastIndexOf('{', at)
  const close = text.indexOf('}', at)
  const body = text.slice(open + 1, close === -1 ? undefined : close)
  return /"fact"\s*:\s*"([^"]+)"/.exec(body)?.[1]
}

interface ScanContext {
  /** Keys and indexes from the root to the innermost container (and, in a value string, its key). */
  readonly path: PathPart[]
  readonly inString: boolean
  readonly isKey: boolean
  readonly stringStart: number
  readonly expectingKey: boolean
  readonly expectingValue: boolean
}

/**
 * Scans text up to the cursor, tolerating an unfinished document: the stack of containers
 * with the key or index the cursor is under, and whether it is in a string (key or value).
 */
function scanContext(before: string): ScanContext | undefined {
  type Frame = { kind: 'obj'; key: string | undefined; expecting: 'key' | 'colon' | 'value' | 'comma' } | { kind: 'arr'; index: number; expecting: 'value' | 'comma' }
  const stack: Frame[] = []
  let i = 0
  while (i < before.length) {
    const ch = before[i]!
    if (ch === '"') {
      const start = i
      i++
      let s = ''
      while (i < before.length && before[i] !== '"') {
        if (before[i] === '\\') i++
        s += before[i] ?? ''
        i++
      }
      const top = stack[stack.length - 1]
      if (i >= before.length) {
        // The cursor is inside this string.
        const isKey = top?.kind === 'obj' && top.expecting === 'key'
        const path = pathOf(stack)
        if (!isKey && top?.kind === 'obj' && top.key !== undefined) path.push(top.key)
        if (!isKey && top?.kind === 'arr') path.push(top.index)
        return { path: isKey ? pathOf(stack) : path, inString: true, isKey, stringStart: start, expectingKey: false, expectingValue: false }
      }
      i++ // closing quote
      if (top?.kind === 'obj' && top.expecting === 'key') {
        top.key = s
        top.expecting = 'colon'
      } else if (top !== undefined) top.expecting = 'comma'
      continue
    }
    const top = stack[stack.length - 1]
    if (ch === '{' || ch === '[') {
      stack.push(ch === '{' ? { kind: 'obj', key: undefined, expecting: 'key' } : { kind: 'arr', index: 0, expecting: 'value' })
    } else if (ch === '}' || ch === ']') {
      stack.pop()
      const parent = stack[stack.length - 1]
      if (parent !== undefined) parent.expecting = 'comma'
    } else if (ch === ':' && top?.kind === 'obj') {
      top.expecting = 'value'
    } else if (ch === ',' && top !== undefined) {
      if (top.kind === 'obj') {
        top.expecting = 'key'
        top.key = undefined
      } else {
        top.index++
        top.expecting = 'value'
      }
    } else if (!/\s/.test(ch) && top !== undefined && top.expecting === 'value') {
      top.expecting = 'comma' // a number, true, false or null being typed
    }
    i++
  }
  const top = stack[stack.length - 1]
  if (top === undefined) return undefined
  return {
    path: pathOf(stack),
    inString: false,
    isKey: false,
    stringStart: -1,
    expectingKey: top.kind === 'obj' && top.expecting === 'key',
    expectingValue: top.expecting === 'value',
  }

  /** Keys and indexes leading to the innermost container. */
  function pathOf(frames: Frame[]): PathPart[] {
    const out: PathPart[] = []
    for (let f = 0; f < frames.length - 1; f++) {
      const fr = frames[f]!
      out.push(fr.kind === 'obj' ? (fr.key ?? '') : fr.index)
    }
    return out
  }
}
