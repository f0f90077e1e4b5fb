import type { AlertEvent } from './alert-event.ts'
import { isFiringAnnounced, type Alert, type GroupState } from './alert.ts'
import { receiversFor, type CompiledRouting } from './routing.ts'
import { groupKeyOf } from './stages/group-stage.ts'
import { matchLabels } from './alert.ts'
import type { TenantStateDraft } from './tenant-state.ts'

/**
 * Applies one lifecycle event of the rules engine or the detectors to the live alerts. Pure
 * apart from the draft it writes:
 * - `firing` starts (or refreshes) a firing episode; what was announced is kept, so the
 *   dedup stage can tell a new episode from a known one;
 * - `resolved` marks an announced alert resolved (its resolve is still to be sent), also when
 *   only an earlier episode's trigger was announced; an alert whose firing was never
 *   announced is simply dropped, as is its acknowledgement;
 * - `pending` shows a not-yet-firing alert (never notified); it does not overwrite a resolve
 *   that is still to be announced; `cancelled` removes a pending alert;
 * - an event older than what the alert already holds is ignored.
 */
export function applyAlertEvent(draft: TenantStateDraft, e: AlertEvent): void {
  const existing = draft.alert(e.fingerprint)
  if (existing !== undefined && e.atMs < existing.updatedAtMs) return
  switch (e.kind) {
    case 'pending':
      if (existing === undefined || existing.status === 'pending' || (existing.status === 'resolved' && existing.announced?.status === 'resolved')) {
        draft.setAlert({ ...fromEvent(e, 'pending'), announced: existing?.announced })
      }
      return
    case 'cancelled':
      if (existing?.status === 'pending') draft.deleteAlert(e.fingerprint)
      return
    case 'firing':
      if (existing !== undefined && existing.startsAtMs !== e.startsAtMs) draft.deleteAck(e.fingerprint)
      draft.setAlert({ ...fromEvent(e, 'firing'), endsAtMs: undefined, announced: existing?.announced })
      return
    case 'resolved': {
      if (existing === undefined || existing.status !== 'firing') return
      draft.deleteAck(e.fingerprint)
      const announced = existing.announced
      if (announced?.status === 'firing') {
        // Receivers last heard a trigger: this episode's, or an earlier one's whose resolve was
        // still to be sent when this episode began (a flap while silenced or within
        // group_interval). Either way they must hear a resolve; it speaks for the episode they
        // know (its start), or the incident would stay open for good.
        const startsAtMs = isFiringAnnounced(existing) ? existing.startsAtMs : announced.startsAtMs
        draft.setAlert({ ...existing, status: 'resolved', startsAtMs, endsAtMs: e.endsAtMs ?? e.atMs, updatedAtMs: e.atMs, values: e.values, explanation: e.explanation === '' ? existing.explanation : e.explanation })
      } else {
        draft.deleteAlert(e.fingerprint)
      }
      return
    }
  }
}

function fromEvent(e: AlertEvent, status: Alert['status']): Alert {
  return {
    fingerprint: e.fingerprint,
    tenant: e.tenant,
    status,
    source: e.source,
    sourceId: e.sourceId,
    sourceVersion: e.sourceVersion,
    level: e.level,
    entity: e.entity,
    account: e.account,
    campaign: e.campaign,
    severity: e.severity,
    labels: e.labels,
    annotations: e.annotations,
    values: e.values,
    explanation: e.explanation,
    startsAtMs: e.startsAtMs,
    endsAtMs: e.endsAtMs,
    updatedAtMs: e.atMs,
    announced: undefined,
  }
}

/**
 * Drops what no longer needs keeping: resolved alerts that no route sends anywhere any more
 * (every other resolve stays until it is announced: a group flush or the end of a silence
 * away), and groups without any firing or resolved alert. Pure apart from the draft.
 */
export function sweepState(draft: TenantStateDraft, routing: CompiledRouting): void {
  const liveGroups = new Set<string>()
  for (const a of draft.alerts()) {
    if (a.status === 'resolved' && receiversFor(routing.route, matchLabels(a)).every((r) => !routing.notifiers.has(r))) {
      draft.deleteAlert(a.fingerprint)
      continue
    }
    if (a.status !== 'pending') liveGroups.add(groupKeyOf(matchLabels(a), routing.timings.groupBy).key)
  }
  const stale: GroupState[] = [...draft.groups()].filter((g) => !liveGroups.has(g.key))
  for (const g of stale) draft.deleteGroup(g.key)
}
