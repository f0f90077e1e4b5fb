/** A label matcher as Alertmanager writes them: `=`, `!=`, `=~`, `!~` (regexes anchored). */
export interface LabelMatcher {
  readonly name: string
  readonly op: '=' | '!=' | '=~' | '!~'
  readonly value: string
}

/** The matcher operators. */
export const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const
/** Valid label names (Prometheus's). */
export const LABEL_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$'
/** Longest regex a matcher may hold (they come from tenants and run on every tick). */
export const MAX_MATCHER_REGEX_CHARS = 256

const regexCache = new Map<string, RegExp>()

/** The anchored regex of a `=~` / `!~` matcher; throws SyntaxError when it does not compile. */
export function matcherRegex(value: string): RegExp {
  let re = regexCache.get(value)
  if (re === undefined) {
    re = new RegExp(`^(?:${value})$`, 'u')
    if (regexCache.size > 10_000) regexCache.clear()
    regexCache.set(value, re)
  }
  return re
}

/** Why a matcher is invalid, or undefined when it is fine. */
export function matcherProblem(m: LabelMatcher): string | undefined {
  if (!new RegExp(LABEL_NAME_PATTERN).test(m.name)) return `label name "${m.name}" must match ${LABEL_NAME_PATTERN}`
  if (!(MATCHER_OPS as readonly string[]).includes(m.op)) return `operator must be one of ${MATCHER_OPS.join(' ')}`
  if (m.op === '=~' || m.op === '!~') {
    if (m.value.length > MAX_MATCHER_REGEX_CHARS) return `regex is ${m.value.length} characters; at most ${MAX_MATCHER_REGEX_CHARS}`
    try {
      matcherRegex(m.value)
    } catch (err) {
      return `invalid regex: ${(err as Error).message}`
    }
  }
  return undefined
}

/** Whether one matcher holds for the labels; a missing label reads as "". */
export function matcherHolds(m: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[m.name] ?? ''
  switch (m.op) {
    case '=':
      return v === m.value
    case '!=':
      return v !== m.value
    case '=~':
      return matcherRegex(m.value).test(v)
    case '!~':
      return !matcherRegex(m.value).test(v)
  }
}

/** Whether every matcher holds (an empty list matches everything). */
export function matchesAll(matchers: readonly LabelMatcher[], labels: Readonly<Record<string, string>>): boolean {
  for (const m of matchers) if (!matcherHolds(m, labels)) return false
  return true
}
