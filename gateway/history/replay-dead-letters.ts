import type { Logger } from '../../core/log.ts'
import type { RawRecord } from '../../stream/producer/put-records.ts'
import type { ReplayResultDto } from '../api-types.ts'
import type { DeadLetterKey, DeadLetterRow, DeadLetterStore, EventWriter } from '../deps.ts'
import { idOf } from './clickhouse-dead-letters.ts'

/** What a replay uses. */
export interface ReplayDeps {
  readonly store: DeadLetterStore
  readonly events: EventWriter
  readonly now: () => number
  readonly log: Logger
}

/**
 * Replays dead letters of a tenant after a fix (a tenant registered, a clock corrected): puts
 * each record's exact bytes back on the stream with its partition key, and marks it replayed.
 * Only a record whose bytes are a JSON event of the caller's tenant is replayed (a KPL
 * aggregate or another tenant's event is refused), each at most once (a Redis claim across
 * gateways, then the ClickHouse replay row). If the put fails, the claims are released and the
 * error is thrown: nothing was marked, the replay can be tried again.
 */
export async function replayDeadLetters(deps: ReplayDeps, tenant: string, keys: readonly DeadLetterKey[], by: string): Promise<ReplayResultDto[]> {
  const rows = new Map((await deps.store.get(tenant, keys)).map((r) => [idOf(r), r]))
  const results = new Map<string, ReplayResultDto>()
  const claimed: DeadLetterRow[] = []
  for (const key of keys) {
    const id = idOf(key)
    if (results.has(id)) continue
    const row = rows.get(id)
    if (row === undefined) results.set(id, { id, status: 'not_found' })
    else if (row.replayedAtMs !== undefined) results.set(id, { id, status: 'already_replayed' })
    else {
      const refusal = whyNotReplayable(row, tenant)
      if (refusal !== undefined) results.set(id, { id, status: 'refused', reason: refusal })
      else if (!(await deps.store.claimReplay(tenant, row))) results.set(id, { id, status: 'already_replayed' })
      else claimed.push(row)
    }
  }
  if (claimed.length > 0) {
    const records: RawRecord[] = claimed.map((r) => ({ data: Buffer.from(r.rawBase64, 'base64'), partitionKey: r.partitionKey === '' ? `${tenant}/replay` : r.partitionKey }))
    try {
      await deps.events.put(records)
    } catch (err) {
      await Promise.allSettled(claimed.map((r) => deps.store.releaseReplay(tenant, r)))
      throw err
    }
    try {
      await deps.store.markReplayed(tenant, claimed, by, deps.now())
    } catch (err) {
      // The records are on the stream and the claims stay, so nothing is replayed twice.
      deps.log.warn({ err: (err as Error).message, tenant, count: claimed.length }, 'dead letters replayed but the replay rows could not be written')
    }
    for (const r of claimed) results.set(idOf(r), { id: idOf(r), status: 'replayed' })
  }
  return [...new Set(keys.map(idOf))].map((id) => results.get(id)!)
}

/** Why a dead letter may not be replayed by this tenant, or undefined when it may. Pure. */
export function whyNotReplayable(row: DeadLetterRow, tenant: string): string | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(row.rawBase64, 'base64').toString('utf8'))
  } catch {
    return 'the record is not JSON (bad_json or a KPL aggregate); replaying its bytes cannot succeed'
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'the record is not a JSON object'
  const t = (parsed as { tenant?: unknown }).tenant
  if (t !== tenant) return `the record names tenant ${JSON.stringify(t ?? null)}, not "${tenant}"`
  return undefined
}
