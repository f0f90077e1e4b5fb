import { validateRule } from '../../../rules/validate-rule.ts'
import { parseWithSourceMap, spanOfPath } from './json-source-map.ts'

/** A problem of the draft rule, placed in the text. */
export interface RuleDiagnostic {
  /** JSON path as the gateway reports it (`$.conditions.all[0].fact`); `syntax` for parse errors. */
  readonly path: string
  readonly message: string
  readonly from: number
  readonly to: number
}

/** The draft's value when it parses, and its problems (none: it can be saved). */
export interface RuleCheck {
  readonly value: unknown
  readonly parsed: boolean
  readonly diagnostics: readonly RuleDiagnostic[]
}

/**
 * Checks a draft as the gateway will on save: JSON syntax first, then rules/validate-rule.ts
 * (the same code, bundled), each problem placed at its JSON path in the text.
 */
export function checkRuleText(text: string): RuleCheck {
  const parsed = parseWithSourceMap(text)
  if (!parsed.ok) {
    return { value: undefined, parsed: false, diagnostics: [{ path: 'syntax', message: parsed.error.message, from: parsed.error.from, to: parsed.error.to }] }
  }
  const problems = validateRule(parsed.value, text)
  const diagnostics = problems.map((p) => {
    const span = spanOfPath(parsed.spans, p.path, p.message.startsWith('unknown field'))
    return { path: p.path, message: p.message, from: span.from, to: Math.max(span.to, span.from) }
  })
  return { value: parsed.value, parsed: true, diagnostics }
}

/** Problems the server reported (path and message only), placed in the current text. */
export function placeProblems(text: string, problems: readonly { path: string; message: string }[]): RuleDiagnostic[] {
  const parsed = parseWithSourceMap(text)
  return problems.map((p) => {
    const span = parsed.ok ? spanOfPath(parsed.spans, p.path, p.message.startsWith('unknown field')) : { from: 0, to: 0 }
    return { path: p.path, message: p.message, from: span.from, to: span.to }
  })
}
