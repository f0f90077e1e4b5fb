import { createHash } from 'node:crypto'
import type { Level } from '../stream/event.ts'

/** Severity of an alert, mapped by each receiver (e.g. PagerDuty critical/error/warning/info). */
export type AlertSeverity = 'critical' | 'error' | 'warning' | 'info'

/**
 * A lifecycle transition of one alert identity, as rules and detectors hand it to the alert
 * pipeline: pending, firing (with explanation and values), resolved, or cancelled.
 */
export interface AlertEvent {
  /** `cancelled`: a pending alert whose condition cleared before `for` elapsed (never notified). */
  readonly kind: 'pending' | 'firing' | 'resolved' | 'cancelled'
  readonly fingerprint: string
  readonly source: 'rule' | 'detector'
  /** Rule id or detector name. */
  readonly sourceId: string
  readonly sourceVersion: number
  readonly tenant: string
  readonly level: Level
  readonly entity: string
  readonly account: string
  readonly campaign: string
  readonly severity: AlertSeverity
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  /** The facts the condition read, with their values at the transition. */
  readonly values: Readonly<Record<string, number | string | null>>
  /** Condition by condition, e.g. "cpc_15m = 3.42 > 3 ✓; clicks_15m = 61 ≥ 50 ✓". */
  readonly explanation: string
  readonly atMs: number
  readonly startsAtMs: number
  readonly endsAtMs: number | undefined
}

/** Where alert events go; the alerts pipeline implements it. */
export interface AlertEventSink {
  submit(events: readonly AlertEvent[]): Promise<void>
}

/**
 * The identity of an alert: rule or detector id, tenant, entity and labels. Stable across
 * restarts and versions of the rule, so an alert keeps its identity when its rule is edited.
 */
export function fingerprintOf(sourceId: string, tenant: string, level: Level, entity: string, labels: Readonly<Record<string, string>>): string {
  const labelText = Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join('\u0001')
  return createHash('sha256').update(`${sourceId}\u0000${tenant}\u0000${level}\u0000${entity}\u0000${labelText}`).digest('hex').slice(0, 16)
}
