import type { AlertTransitionDto } from '../api-types.ts'
import { transitionDto, transitionDtoOfEvent } from './alert-dto.ts'
import type { AlertEventFeed, AlertHistoryReader } from './alerting-stores.ts'

/** How far back the event log is read for transitions the ClickHouse history may not have yet. */
export const LOG_TAIL_MS = 5 * 60_000
/** Most log entries read for that tail. */
const LOG_TAIL_COUNT = 1000

/** A transitions query: `[fromMs, toMs)`, newest first. */
export interface TransitionQuery {
  readonly fingerprint?: string
  readonly kinds?: readonly string[]
  readonly fromMs: number
  readonly toMs: number
  readonly limit: number
  readonly offset: number
}

/**
 * A tenant's alert transitions: ClickHouse `alert_history` (written by the alerts process a
 * moment after each event), and on the first page also the last minutes of the tenant's event
 * log that ClickHouse does not have yet (same entry ids, so nothing is listed twice). Reads
 * one row more than asked to tell whether there is a next page.
 */
export async function readTransitions(
  stores: { history: AlertHistoryReader; events: AlertEventFeed },
  tenant: string,
  q: TransitionQuery,
  nowMs: number,
): Promise<{ items: AlertTransitionDto[]; hasMore: boolean }> {
  const filter = { fromMs: q.fromMs, toMs: q.toMs, limit: q.limit + 1, offset: q.offset, ...(q.fingerprint === undefined ? {} : { fingerprint: q.fingerprint }), ...(q.kinds === undefined ? {} : { kinds: q.kinds }) }
  const stored = (await stores.history.transitions(tenant, filter)).map(transitionDto)
  if (q.offset > 0) return { items: stored.slice(0, q.limit), hasMore: stored.length > q.limit }
  const tailFromMs = Math.max(q.fromMs, nowMs - LOG_TAIL_MS)
  const recent = tailFromMs >= q.toMs ? [] : await stores.events.read(tenant, `${tailFromMs}-0`, LOG_TAIL_COUNT)
  return mergeTransitions(stored, recent.map((r) => transitionDtoOfEvent(r.id, r.event)), q)
}

/** ClickHouse rows plus log entries not among them, filtered as the query asks, newest first (pure). */
export function mergeTransitions(stored: readonly AlertTransitionDto[], recent: readonly AlertTransitionDto[], q: TransitionQuery): { items: AlertTransitionDto[]; hasMore: boolean } {
  const seen = new Set(stored.map((t) => t.id))
  const extra = recent.filter((t) => {
    const atMs = Date.parse(t.at)
    return !seen.has(t.id) && atMs >= q.fromMs && atMs < q.toMs && (q.fingerprint === undefined || t.fingerprint === q.fingerprint) && (q.kinds === undefined || q.kinds.includes(t.kind))
  })
  const all = [...stored, ...extra].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || compareIds(b.id, a.id))
  return { items: all.slice(0, q.limit), hasMore: all.length > q.limit }
}

/** Orders Redis stream ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number)
  const [bm = 0, bs = 0] = b.split('-').map(Number)
  return am - bm || as - bs
}
