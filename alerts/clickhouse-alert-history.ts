import type { ClickHouseClient } from '@clickhouse/client'
import { ident, join, sql, type SqlFragment } from '../core/sql.ts'
import type { AlertEvent } from './alert-event.ts'
import { AlertStoreError } from './errors.ts'

/** One transition as stored in `alert_history`. */
export interface AlertHistoryRow {
  readonly tenant: string
  readonly eventId: string
  readonly fingerprint: string
  readonly kind: AlertEvent['kind']
  readonly source: string
  readonly sourceId: string
  readonly sourceVersion: number
  readonly level: string
  readonly entity: string
  readonly account: string
  readonly campaign: string
  readonly severity: string
  readonly labels: Record<string, string>
  readonly annotations: Record<string, string>
  readonly values: Record<string, number | string | null>
  readonly explanation: string
  readonly atMs: number
  readonly startsAtMs: number
  readonly endsAtMs: number | undefined
}

/** One notification outcome as stored in `alert_notifications`. */
export interface NotificationRecord {
  readonly tenant: string
  readonly notificationId: string
  readonly receiver: string
  readonly receiverType: string
  readonly groupKey: string
  readonly fingerprints: readonly string[]
  readonly statuses: readonly string[]
  readonly outcome: 'delivered' | 'dead_letter'
  readonly attempts: number
  readonly errorCode: string
  readonly error: string
  readonly createdAtMs: number
  readonly finishedAtMs: number
}

/** Filters of a history query; times are `[fromMs, toMs)`. */
export interface HistoryFilter {
  readonly fingerprint?: string
  readonly kinds?: readonly string[]
  readonly fromMs?: number
  readonly toMs?: number
  readonly limit?: number
  readonly offset?: number
}

/** Most rows one history query returns. */
export const MAX_HISTORY_LIMIT = 1000

/** The SELECT of a tenant's transitions, newest first (pure; values escaped by core/sql.ts). */
export function historyQuery(database: string, tenant: string, f: HistoryFilter): string {
  const where: SqlFragment[] = [sql`tenant = ${tenant}`]
  if (f.fingerprint !== undefined) where.push(sql`fingerprint = ${f.fingerprint}`)
  if (f.kinds !== undefined && f.kinds.length > 0) where.push(sql`kind IN (${join([...f.kinds])})`)
  if (f.fromMs !== undefined) where.push(sql`at_ms >= ${Math.floor(f.fromMs)}`)
  if (f.toMs !== undefined) where.push(sql`at_ms < ${Math.floor(f.toMs)}`)
  const limit = Math.min(Math.max(1, Math.floor(f.limit ?? 100)), MAX_HISTORY_LIMIT)
  const offset = Math.max(0, Math.floor(f.offset ?? 0))
  return sql`SELECT tenant, event_id, fingerprint, kind, source, source_id, source_version, level, entity, account, campaign, severity, label_names, label_values, annotations, facts, explanation, at_ms, starts_at_ms, ends_at_ms FROM ${ident(database)}.alert_history FINAL WHERE ${join(where, ' AND ')} ORDER BY at_ms DESC, event_id DESC LIMIT ${offset}, ${limit}`.text
}

/** The SELECT of a tenant's notification outcomes, newest first (pure). */
export function notificationsQuery(database: string, tenant: string, f: Omit<HistoryFilter, 'kinds'> & { receiver?: string }): string {
  const where: SqlFragment[] = [sql`tenant = ${tenant}`]
  if (f.fingerprint !== undefined) where.push(sql`has(fingerprints, ${f.fingerprint})`)
  if (f.receiver !== undefined) where.push(sql`receiver = ${f.receiver}`)
  if (f.fromMs !== undefined) where.push(sql`created_at_ms >= ${Math.floor(f.fromMs)}`)
  if (f.toMs !== undefined) where.push(sql`created_at_ms < ${Math.floor(f.toMs)}`)
  const limit = Math.min(Math.max(1, Math.floor(f.limit ?? 100)), MAX_HISTORY_LIMIT)
  const offset = Math.max(0, Math.floor(f.offset ?? 0))
  return sql`SELECT tenant, notification_id, receiver, receiver_type, group_key, fingerprints, statuses, outcome, attempts, error_code, error, created_at_ms, finished_at_ms FROM ${ident(database)}.alert_notifications FINAL WHERE ${join(where, ' AND ')} ORDER BY created_at_ms DESC, notification_id DESC LIMIT ${offset}, ${limit}`.text
}

/** The history row of an event read from the log under `eventId`. */
export function historyRowOf(eventId: string, e: AlertEvent): AlertHistoryRow {
  return {
    tenant: e.tenant,
    eventId,
    fingerprint: e.fingerprint,
    kind: e.kind,
    source: e.source,
    sourceId: e.sourceId,
    sourceVersion: e.sourceVersion,
    level: e.level,
    entity: e.entity,
    account: e.account,
    campaign: e.campaign,
    severity: e.severity,
    labels: { ...e.labels },
    annotations: { ...e.annotations },
    values: { ...e.values },
    explanation: e.explanation,
    atMs: e.atMs,
    startsAtMs: e.startsAtMs,
    endsAtMs: e.endsAtMs,
  }
}

/**
 * Alert history in ClickHouse: every transition (`alert_history`) and every notification
 * outcome (`alert_notifications`), written in batches and read back for the gateway.
 */
export class ClickHouseAlertHistory {
  private readonly db: string

  constructor(private readonly ch: ClickHouseClient, private readonly database: string) {
    this.db = ident(database).text
  }

  async insertTransitions(rows: readonly AlertHistoryRow[], nowMs: number): Promise<void> {
    if (rows.length === 0) return
    const recordedAt = Math.floor(nowMs / 1000)
    const values = rows.map((r) => {
      const names = Object.keys(r.labels).sort()
      return {
        tenant: r.tenant,
        event_id: r.eventId,
        fingerprint: r.fingerprint,
        kind: r.kind,
        source: r.source,
        source_id: r.sourceId,
        source_version: r.sourceVersion,
        level: r.level,
        entity: r.entity,
        account: r.account,
        campaign: r.campaign,
        severity: r.severity,
        label_names: names,
        label_values: names.map((n) => r.labels[n] ?? ''),
        annotations: JSON.stringify(r.annotations),
        facts: JSON.stringify(r.values),
        explanation: r.explanation,
        at: Math.floor(r.atMs / 1000),
        at_ms: r.atMs,
        starts_at_ms: r.startsAtMs,
        ends_at_ms: r.endsAtMs ?? 0,
        recorded_at: recordedAt,
      }
    })
    try {
      await this.ch.insert({ table: `${this.db}.alert_history`, values, format: 'JSONEachRow' })
    } catch (err) {
      throw new AlertStoreError(`writing ${rows.length} alert transitions to ClickHouse: ${(err as Error).message}`, { cause: err })
    }
  }

  async insertNotifications(rows: readonly NotificationRecord[]): Promise<void> {
    if (rows.length === 0) return
    const values = rows.map((r) => ({
      tenant: r.tenant,
      notification_id: r.notificationId,
      receiver: r.receiver,
      receiver_type: r.receiverType,
      group_key: r.groupKey,
      fingerprints: r.fingerprints,
      statuses: r.statuses,
      outcome: r.outcome,
      attempts: r.attempts,
      error_code: r.errorCode,
      error: r.error,
      created_at_ms: r.createdAtMs,
      finished_at_ms: r.finishedAtMs,
      at: Math.floor(r.createdAtMs / 1000),
    }))
    try {
      await this.ch.insert({ table: `${this.db}.alert_notifications`, values, format: 'JSONEachRow' })
    } catch (err) {
      throw new AlertStoreError(`writing ${rows.length} notification records to ClickHouse: ${(err as Error).message}`, { cause: err })
    }
  }

  /** A tenant's transitions, newest first. */
  async transitions(tenant: string, f: HistoryFilter = {}): Promise<AlertHistoryRow[]> {
    const rows = await this.select<Record<string, unknown>>(historyQuery(this.database, tenant, f))
    return rows.map((r) => {
      const names = r.label_names as string[]
      const vals = r.label_values as string[]
      const ends = Number(r.ends_at_ms)
      return {
        tenant: String(r.tenant),
        eventId: String(r.event_id),
        fingerprint: String(r.fingerprint),
        kind: r.kind as AlertEvent['kind'],
        source: String(r.source),
        sourceId: String(r.source_id),
        sourceVersion: Number(r.source_version),
        level: String(r.level),
        entity: String(r.entity),
        account: String(r.account),
        campaign: String(r.campaign),
        severity: String(r.severity),
        labels: Object.fromEntries(names.map((n, i) => [n, vals[i] ?? ''])),
        annotations: JSON.parse(String(r.annotations)) as Record<string, string>,
        values: JSON.parse(String(r.facts)) as Record<string, number | string | null>,
        explanation: String(r.explanation),
        atMs: Number(r.at_ms),
        startsAtMs: Number(r.starts_at_ms),
        endsAtMs: ends === 0 ? undefined : ends,
      }
    })
  }

  /** A tenant's notification outcomes, newest first. */
  async notifications(tenant: string, f: Omit<HistoryFilter, 'kinds'> & { receiver?: string } = {}): Promise<NotificationRecord[]> {
    const rows = await this.select<Record<string, unknown>>(notificationsQuery(this.database, tenant, f))
    return rows.map((r) => ({
      tenant: String(r.tenant),
      notificationId: String(r.notification_id),
      receiver: String(r.receiver),
      receiverType: String(r.receiver_type),
      groupKey: String(r.group_key),
      fingerprints: r.fingerprints as string[],
      statuses: r.statuses as string[],
      outcome: r.outcome as NotificationRecord['outcome'],
      attempts: Number(r.attempts),
      errorCode: String(r.error_code),
      error: String(r.error),
      createdAtMs: Number(r.created_at_ms),
      finishedAtMs: Number(r.finished_at_ms),
    }))
  }

  private async select<T>(query: string): Promise<T[]> {
    try {
      const rs = await this.ch.query({ query, format: 'JSONEachRow' })
      return await rs.json<T>()
    } catch (err) {
      throw new AlertStoreError(`reading alert history: ${(err as Error).message}`, { cause: err })
    }
  }
}

