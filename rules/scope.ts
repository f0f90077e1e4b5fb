import type { Matcher, RuleScope } from './rule-model.ts'

/** An entity's labels that scopes and matchers look at. */
export interface EntityLabels {
  readonly level: string
  readonly platform: string
  readonly account: string
  readonly campaign: string
  readonly adset: string
  readonly entity: string
}

const regexCache = new Map<string, RegExp>()

/** Whether one matcher holds for the labels (regexes are anchored, as in Alertmanager). */
export function matcherHolds(m: Matcher, labels: EntityLabels): boolean {
  const v = labels[m.name as keyof EntityLabels] ?? ''
  if (m.op === '=') return v === m.value
  if (m.op === '!=') return v !== m.value
  let re = regexCache.get(m.value)
  if (re === undefined) {
    re = new RegExp(`^(?:${m.value})$`)
    regexCache.set(m.value, re)
  }
  return m.op === '=~' ? re.test(v) : !re.test(v)
}

/** Whether a rule's scope includes the entity. Pure. */
export function inScope(scope: RuleScope | undefined, labels: EntityLabels): boolean {
  if (scope === undefined) return true
  if (scope.accounts !== undefined && scope.accounts.length > 0 && !scope.accounts.includes(labels.account)) return false
  if (scope.platforms !== undefined && scope.platforms.length > 0 && !scope.platforms.includes(labels.platform)) return false
  return (scope.matchers ?? []).every((m) => matcherHolds(m, labels))
}
