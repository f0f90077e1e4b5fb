import { storedAlert, type Alert } from '../alert.ts'
import type { NotifiedAlert } from '../notifiers/notifier.ts'
import type { AlertStage, StageContext, PendingNotification } from './stage.ts'

/**
 * Turns the routed alerts into notifications, one per group and receiver (one per alert for
 * receivers of granularity `alert`, such as PagerDuty), queues them for the tick's commit to
 * the outbox, and records each alert as announced (a resolved one is then done and removed).
 * The commit writes the outbox entries and this bookkeeping atomically, so a crash can
 * neither lose a notification nor queue it twice.
 */
export class OutboxStage implements AlertStage {
  readonly name = 'outbox'

  async run(ctx: StageContext, alerts: readonly Alert[]): Promise<readonly Alert[]> {
    const byGroupReceiver = new Map<string, { receiver: string; groupKey: string; alerts: Alert[] }>()
    for (const a of alerts) {
      for (const receiver of a.receivers ?? []) {
        const groupKey = a.groupKey ?? ''
        const k = `${receiver}\u0000${groupKey}`
        let entry = byGroupReceiver.get(k)
        if (entry === undefined) {
          entry = { receiver, groupKey, alerts: [] }
          byGroupReceiver.set(k, entry)
        }
        entry.alerts.push(a)
      }
    }
    for (const { receiver, groupKey, alerts: members } of byGroupReceiver.values()) {
      const notifier = ctx.routing.notifiers.get(receiver)
      const groupLabels = ctx.state.group(groupKey)?.labels ?? {}
      // Firing before resolved, each in decision order, so a receiver reads them as they happened.
      const ordered = [...members].sort((x, y) => Number(x.status === 'resolved') - Number(y.status === 'resolved') || x.updatedAtMs - y.updatedAtMs)
      const batches = notifier?.granularity === 'alert' ? ordered.map((a) => [a]) : [ordered]
      for (const batch of batches) {
        const n: PendingNotification = { tenant: ctx.tenant, receiver, groupKey, groupLabels, alerts: batch.map(toNotified), createdAtMs: ctx.nowMs }
        ctx.outbox.push(n)
      }
    }
    for (const a of alerts) {
      if (a.status === 'resolved') {
        ctx.state.deleteAlert(a.fingerprint)
        continue
      }
      ctx.state.setAlert({ ...storedAlert(a), announced: { status: 'firing', startsAtMs: a.startsAtMs, atMs: ctx.nowMs } })
    }
    return alerts
  }
}

function toNotified(a: Alert): NotifiedAlert {
  return {
    fingerprint: a.fingerprint,
    status: a.status === 'resolved' ? 'resolved' : 'firing',
    reason: a.reason ?? 'new',
    source: a.source,
    sourceId: a.sourceId,
    sourceVersion: a.sourceVersion,
    level: a.level,
    entity: a.entity,
    account: a.account,
    campaign: a.campaign,
    severity: a.severity,
    labels: a.labels,
    annotations: a.annotations,
    values: a.values,
    explanation: a.explanation,
    startsAtMs: a.startsAtMs,
    endsAtMs: a.endsAtMs,
    updatedAtMs: a.updatedAtMs,
  }
}
