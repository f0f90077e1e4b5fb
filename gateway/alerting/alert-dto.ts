import type { ActiveAlert, AlertEvent, AlertHistoryRow, Silence, SilenceState, StoredRoutingConfig } from '../../alerts/index.ts'
import type { AlertDto, AlertTransitionDto, RoutingConfigDto, SilenceDto } from '../api-types.ts'
import type { AlertTransitionPush } from '../socket-events.ts'

/** The API's shapes of the alerts part's records (pure). Times become ISO-8601, '' becomes null. */

const iso = (ms: number) => new Date(ms).toISOString()
const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : iso(ms))
const orNull = (s: string) => (s === '' ? null : s)

/** A live alert as `GET /alerts` shows it. */
export function alertDto(a: ActiveAlert): AlertDto {
  return {
    fingerprint: a.fingerprint,
    source: a.source,
    sourceId: a.sourceId,
    level: a.level,
    entity: a.entity,
    account: orNull(a.account),
    campaign: orNull(a.campaign),
    severity: a.severity,
    state: a.status,
    explanation: a.explanation,
    labels: a.labels,
    annotations: a.annotations,
    values: a.values,
    startsAt: iso(a.startsAtMs),
    endsAt: isoOrNull(a.endsAtMs),
    updatedAt: iso(a.updatedAtMs),
    acknowledgedBy: a.acknowledged?.author ?? null,
    acknowledgedAt: isoOrNull(a.acknowledged?.atMs),
    silencedBy: [...a.silencedBy],
  }
}

/** A stored transition (ClickHouse row). */
export function transitionDto(r: AlertHistoryRow): AlertTransitionDto {
  return {
    id: r.eventId,
    fingerprint: r.fingerprint,
    kind: r.kind,
    source: r.source,
    sourceId: r.sourceId,
    sourceVersion: r.sourceVersion,
    level: r.level,
    entity: r.entity,
    account: orNull(r.account),
    campaign: orNull(r.campaign),
    severity: r.severity,
    labels: r.labels,
    values: r.values,
    explanation: r.explanation,
    at: iso(r.atMs),
    startsAt: iso(r.startsAtMs),
    endsAt: isoOrNull(r.endsAtMs),
  }
}

/** A transition read from the event log under entry `id` (not yet in ClickHouse). */
export function transitionDtoOfEvent(id: string, e: AlertEvent): AlertTransitionDto {
  return transitionDto({ ...e, tenant: e.tenant, eventId: id, kind: e.kind, labels: { ...e.labels }, annotations: { ...e.annotations }, values: { ...e.values } })
}

/** A silence with its state. */
export function silenceDto(s: Silence, state: SilenceState): SilenceDto {
  return {
    id: s.id,
    matchers: s.matchers.map((m) => ({ name: m.name, op: m.op, value: m.value })),
    startsAt: iso(s.startsAtMs),
    endsAt: iso(s.endsAtMs),
    comment: s.comment,
    createdBy: s.author,
    createdAt: iso(s.createdAtMs),
    updatedAt: iso(s.updatedAtMs),
    state,
  }
}

/** The alert event as the socket pushes it to the tenant room. */
export function transitionPush(e: AlertEvent): AlertTransitionPush {
  return {
    kind: e.kind,
    fingerprint: e.fingerprint,
    source: e.source,
    sourceId: e.sourceId,
    level: e.level,
    entity: e.entity,
    severity: e.severity,
    explanation: e.explanation,
    labels: e.labels,
    atMs: e.atMs,
  }
}

/** Receiver option names that hold secrets (alerts/notifiers/options.ts requires references there). */
const SECRET_FIELD = /(webhook_url|routing_key|signing_secret|password|url_secret|token|api_key)$/i

/**
 * The stored routing config as the API shows it. Validation admits only secret references
 * (`{"secret": "<name>"}`) in secret fields, so values are never stored; as a second line, any
 * plain string found in a secret field is replaced by "[redacted]" (never shown in clear).
 */
export function routingConfigDto(stored: StoredRoutingConfig | undefined, version: number): RoutingConfigDto {
  if (stored === undefined) return { config: null, version, author: null, savedAt: null }
  const receivers = stored.config.receivers.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, SECRET_FIELD.test(k) && typeof v === 'string' ? '[redacted]' : v])),
  )
  return { config: { ...stored.config, receivers }, version: stored.version, author: stored.author, savedAt: iso(stored.savedAtMs) }
}

/** `$.receivers[0].type` → `body/receivers/0/type` (the gateway's field notation). */
export function fieldOfJsonPath(path: string, root = 'body'): string {
  const rest = path.replace(/^\$/, '').replace(/\[(\d+)\]/g, '.$1').split('.').filter((p) => p !== '')
  return [root, ...rest].join('/')
}
