import { matchLabels, type Alert } from '../alert.ts'
import { matchesAll } from '../matchers.ts'
import type { InhibitRule } from '../routing.ts'
import type { AlertStage, StageContext } from './stage.ts'

/** Entity levels from the top of the hierarchy down. */
const LEVEL_RANK = { account: 0, campaign: 1, adset: 2, ad: 3 } as const

/**
 * Mutes firing alerts that a firing alert above them explains. Automatically: a firing alert
 * of a rule or detector on an account mutes the same rule's (or detector's) alerts on that
 * account's campaigns, ad sets and ads; one on a campaign mutes them on its ad sets and ads.
 * And by the tenant's inhibit rules (Alertmanager's: a firing source alert matching
 * `source_matchers` mutes target alerts matching `target_matchers` whose `equal` labels have
 * the same values). Sources are all firing alerts of the tenant, notified or not. Resolves of
 * announced alerts are never muted, so what was opened is closed. Pure.
 */
export class InhibitStage implements AlertStage {
  readonly name = 'inhibit'

  async run(ctx: StageContext, alerts: readonly Alert[]): Promise<readonly Alert[]> {
    const firing = [...ctx.state.alerts()].filter((a) => a.status === 'firing')
    const above = new Set<string>()
    for (const s of firing) if (s.level === 'account' || s.level === 'campaign') above.add(hierarchyKey(s.source, s.sourceId, s.level, s.entity))
    const rules = ctx.routing.inhibitRules
    const sourcesByRule = rules.map((r) => firing.filter((s) => matchesAll(r.source, matchLabels(s))).map((s) => ({ fingerprint: s.fingerprint, labels: matchLabels(s) })))
    return alerts.filter((a) => a.status !== 'firing' || !(isMutedByHierarchy(a, above) || isMutedByRules(a, rules, sourcesByRule)))
  }
}

function hierarchyKey(source: string, sourceId: string, level: string, entity: string): string {
  return `${source}\u0000${sourceId}\u0000${level}\u0000${entity}`
}

/** Whether a firing alert of the same source sits on an entity above this alert's. */
function isMutedByHierarchy(a: Alert, above: ReadonlySet<string>): boolean {
  const rank = LEVEL_RANK[a.level]
  if (rank > LEVEL_RANK.account && a.account !== '' && above.has(hierarchyKey(a.source, a.sourceId, 'account', a.account))) return true
  if (rank > LEVEL_RANK.campaign && a.campaign !== '' && above.has(hierarchyKey(a.source, a.sourceId, 'campaign', a.campaign))) return true
  return false
}

function isMutedByRules(a: Alert, rules: readonly InhibitRule[], sourcesByRule: ReadonlyArray<ReadonlyArray<{ fingerprint: string; labels: Readonly<Record<string, string>> }>>): boolean {
  if (rules.length === 0) return false
  const labels = matchLabels(a)
  return rules.some((r, i) => {
    if (!matchesAll(r.target, labels)) return false
    return (sourcesByRule[i] ?? []).some((s) => s.fingerprint !== a.fingerprint && r.equal.every((name) => (s.labels[name] ?? '') === (labels[name] ?? '')))
  })
}
