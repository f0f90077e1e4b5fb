import type { Level } from '../stream/event.ts'
import type { AlertSeverity } from './alert-event.ts'

/** Where an alert stands for notification: pending (not notifiable yet), firing or resolved. */
export type AlertStatus = 'pending' | 'firing' | 'resolved'

/** What the outbox was last given for an alert: its status and the firing episode (startsAtMs). */
export interface Announcement {
  readonly status: 'firing' | 'resolved'
  readonly startsAtMs: number
  readonly atMs: number
}

/** Why an alert flows through the pipeline on this tick. */
export type NotifyReason = 'new' | 'resolved' | 'repeat'

/**
 * One live alert identity of a tenant, as the alert pipeline keeps it (Redis hash
 * `<prefix>:{tenant}:alerts`): the facts of its latest transition plus what was announced.
 * The optional `reason`, `groupKey` and `receivers` are added by stages while it flows.
 */
export interface Alert {
  readonly fingerprint: string
  readonly tenant: string
  readonly status: AlertStatus
  readonly source: 'rule' | 'detector'
  readonly sourceId: string
  readonly sourceVersion: number
  readonly level: Level
  readonly entity: string
  readonly account: string
  readonly campaign: string
  readonly severity: AlertSeverity
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  readonly values: Readonly<Record<string, number | string | null>>
  readonly explanation: string
  readonly startsAtMs: number
  readonly endsAtMs: number | undefined
  /** When the latest transition was decided (the verdict time). */
  readonly updatedAtMs: number
  readonly announced: Announcement | undefined
  readonly reason?: NotifyReason
  readonly groupKey?: string
  readonly receivers?: readonly string[]
}

/** The alert as stored: without the per-tick annotations of the stages. */
export function storedAlert(a: Alert): Alert {
  const { reason: _r, groupKey: _g, receivers: _rc, ...rest } = a
  return rest
}

/**
 * The labels matchers, grouping, silences and routes look at: the alert's own labels (rule
 * labels, alertname, tenant, level, entity, account) plus severity, source and campaign.
 */
export function matchLabels(a: Alert): Readonly<Record<string, string>> {
  return { ...a.labels, alertname: a.labels.alertname ?? a.sourceId, severity: a.severity, source: a.source, ...(a.campaign === '' ? {} : { campaign: a.campaign }) }
}

/** Whether the alert's current firing episode was announced to the outbox. */
export function isFiringAnnounced(a: Alert): boolean {
  return a.announced !== undefined && a.announced.startsAtMs === a.startsAtMs
}

/** An acknowledgement of one firing episode of an alert: stops repeats until it resolves. */
export interface Acknowledgement {
  readonly fingerprint: string
  /** The firing episode acknowledged; a later episode of the same identity is not. */
  readonly startsAtMs: number
  readonly author: string
  readonly comment: string
  readonly atMs: number
}

/** An aggregation group's timers (Redis hash `<prefix>:{tenant}:alert-groups`). */
export interface GroupState {
  readonly key: string
  readonly labels: Readonly<Record<string, string>>
  readonly createdAtMs: number
  readonly lastFlushMs: number | undefined
}
