import { createHash } from 'node:crypto'
import { matchLabels, type Alert, type GroupState } from '../alert.ts'
import type { AlertStage, StageContext } from './stage.ts'

/** An aggregation group's identity: its `group_by` label values. */
export interface GroupKey {
  readonly key: string
  readonly labels: Readonly<Record<string, string>>
}

/** The group of an alert: `{alertname="high-cpc",account="act_1"}` (hashed when long). */
export function groupKeyOf(labels: Readonly<Record<string, string>>, groupBy: readonly string[]): GroupKey {
  const picked: Record<string, string> = {}
  for (const name of groupBy) picked[name] = labels[name] ?? ''
  const text = `{${groupBy.map((n) => `${n}=${JSON.stringify(picked[n])}`).join(',')}}`
  const key = text.length <= 200 ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`
  return { key, labels: picked }
}

/**
 * Gathers alerts into groups (`group_by`, default rule + account) and lets a group's alerts
 * through only when the group is due: a new group `group_wait` after its first alert, then at
 * most once per `group_interval`. Held alerts come back on a later tick (the dedup stage
 * still lets them through), so nothing is lost by holding. Keeps the timers in ctx.state.
 */
export class GroupStage implements AlertStage {
  readonly name = 'group'

  async run(ctx: StageContext, alerts: readonly Alert[]): Promise<readonly Alert[]> {
    const t = ctx.routing.timings
    const byGroup = new Map<string, { group: GroupKey; alerts: Alert[] }>()
    for (const a of alerts) {
      const group = groupKeyOf(matchLabels(a), t.groupBy)
      let entry = byGroup.get(group.key)
      if (entry === undefined) {
        entry = { group, alerts: [] }
        byGroup.set(group.key, entry)
      }
      entry.alerts.push({ ...a, groupKey: group.key })
    }
    const out: Alert[] = []
    for (const { group, alerts: members } of byGroup.values()) {
      let state: GroupState | undefined = ctx.state.group(group.key)
      if (state === undefined) {
        state = { key: group.key, labels: group.labels, createdAtMs: ctx.nowMs, lastFlushMs: undefined }
        ctx.state.setGroup(state)
      }
      if (!isGroupDue(state, ctx.nowMs, t.groupWaitMs, t.groupIntervalMs)) continue
      ctx.state.setGroup({ ...state, lastFlushMs: ctx.nowMs })
      out.push(...members)
    }
    return out
  }
}

/** Whether a group may notify at `nowMs`: group_wait after creation, then group_interval apart. */
export function isGroupDue(g: GroupState, nowMs: number, groupWaitMs: number, groupIntervalMs: number): boolean {
  return g.lastFlushMs === undefined ? nowMs >= g.createdAtMs + groupWaitMs : nowMs >= g.lastFlushMs + groupIntervalMs
}
