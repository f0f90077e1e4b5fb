import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import type { Acknowledgement, Alert, GroupState } from './alert.ts'
import { runAlertsScript } from './alerts-scripts.ts'
import { AlertLeaseLostError, AlertStoreError } from './errors.ts'
import type { PendingNotification } from './stages/stage.ts'
import type { StateChanges, TenantState } from './tenant-state.ts'

/** Consumer group of the alert pipeline on each tenant's alert event log. */
export const PIPELINE_GROUP = 'alerts'

/**
 * The alert pipeline's state of a tenant in Redis: live alerts, group timers and
 * acknowledgements (hashes), and the tick commit that writes them together with the outbox
 * entries and the event-log acknowledgements, fenced by the tenant's lease.
 */
export class RedisAlertStore {
  private readonly keys: RedisKeys
  /** Per tenant, the commit count read at load and moved by each commit (see COMMIT_TICK). */
  private readonly commits = new Map<string, number>()

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Loads a tenant's live alerts, groups and acknowledgements. */
  async load(tenant: string): Promise<TenantState> {
    try {
      const res = await this.redis.multi().hgetall(this.keys.alerts(tenant)).hgetall(this.keys.alertGroups(tenant)).hgetall(this.keys.alertAcks(tenant)).get(this.keys.alertsCommitSeq(tenant)).exec()
      const [alerts, groups, acks, commits] = (res ?? []).map(([err, v]) => {
        if (err) throw err
        return v as Record<string, string>
      })
      this.commits.set(tenant, Number(commits ?? 0))
      return {
        alerts: new Map(Object.entries(alerts ?? {}).map(([k, v]) => [k, JSON.parse(v) as Alert])),
        groups: new Map(Object.entries(groups ?? {}).map(([k, v]) => [k, JSON.parse(v) as GroupState])),
        acks: new Map(Object.entries(acks ?? {}).map(([k, v]) => [k, JSON.parse(v) as Acknowledgement])),
      }
    } catch (err) {
      throw new AlertStoreError(`loading alert state of tenant "${tenant}": ${(err as Error).message}`, { cause: err })
    }
  }

  /** Reloads only the acknowledgements (after the gateway changed them). */
  async loadAcks(tenant: string): Promise<Map<string, Acknowledgement>> {
    const raw = await this.redis.hgetall(this.keys.alertAcks(tenant))
    return new Map(Object.entries(raw).map(([k, v]) => [k, JSON.parse(v) as Acknowledgement]))
  }

  /**
   * Writes one tick atomically if `leaseValue` still holds the tenant's lease: state changes,
   * outbox entries (returned ids in order) and event-log acknowledgements. A lost lease is
   * AlertLeaseLostError and writes nothing. Sent again after a lost reply (the tick retried, or
   * the command resent by the client), a commit that already landed is not applied twice: it
   * writes nothing and says `alreadyApplied` — what landed may differ from this draft (a retry
   * computes at a later time), so the caller reloads the state.
   */
  async commit(tenant: string, leaseValue: string, changes: StateChanges, notifications: readonly PendingNotification[], eventIds: readonly string[]): Promise<CommitResult> {
    const follows = this.commits.get(tenant)
    if (follows === undefined) throw new AlertStoreError(`committing alerts of tenant "${tenant}": its state was not loaded`)
    const args: Array<string | number> = [leaseValue, PIPELINE_GROUP, follows]
    for (const [fp, a] of changes.alerts) {
      if (a === null) args.push('AD', fp)
      else args.push('AS', fp, JSON.stringify(a))
    }
    for (const [k, g] of changes.groups) {
      if (g === null) args.push('GD', k)
      else args.push('GS', k, JSON.stringify(g))
    }
    for (const fp of changes.deletedAcks) args.push('KD', fp)
    for (const n of notifications) args.push('X', JSON.stringify(n))
    for (const id of eventIds) args.push('E', id)
    const keys = [this.keys.alertsLease(tenant), this.keys.alerts(tenant), this.keys.alertGroups(tenant), this.keys.alertAcks(tenant), this.keys.alertOutbox(tenant), this.keys.alertEvents(tenant), this.keys.alertsCommitSeq(tenant)]
    let result: CommitResult
    try {
      result = { ids: (await runAlertsScript(this.redis, 'adwAlertsCommitTick', keys, args)) as string[], alreadyApplied: false }
    } catch (err) {
      const message = String((err as Error).message)
      if (message.includes('FENCED')) throw new AlertLeaseLostError(tenant)
      if (!message.includes('DONE commit')) throw new AlertStoreError(`committing alerts of tenant "${tenant}": ${message}`, { cause: err })
      result = { ids: [], alreadyApplied: true }
    }
    this.commits.set(tenant, follows + 1)
    return result
  }
}

/** What a commit did: the outbox ids it added, or that an earlier copy of it had landed already. */
export interface CommitResult {
  readonly ids: string[]
  readonly alreadyApplied: boolean
}
