import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import { matchLabels, type Acknowledgement, type Alert } from './alert.ts'
import { AlertNotFoundError } from './errors.ts'
import { matchesAll } from './matchers.ts'
import { silenceState, type Silence } from './silence.ts'

/** A live alert as the API shows it: with its acknowledgement and the silences muting it. */
export interface ActiveAlert extends Alert {
  readonly acknowledged: Acknowledgement | undefined
  readonly silencedBy: readonly string[]
}

/**
 * Reads a tenant's live alerts (pending, firing, recently resolved) from the pipeline's
 * state in Redis, joined with acknowledgements and the silences active now.
 */
export class RedisAlertQueries {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly now: () => number) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Live alerts, firing first, newest first. */
  async active(tenant: string): Promise<ActiveAlert[]> {
    const res = await this.redis.multi().hgetall(this.keys.alerts(tenant)).hgetall(this.keys.alertAcks(tenant)).hgetall(this.keys.silences(tenant)).exec()
    const [alerts, acks, silences] = (res ?? []).map(([, v]) => Object.values((v ?? {}) as Record<string, string>))
    const ackByFp = new Map((acks ?? []).map((r) => JSON.parse(r) as Acknowledgement).map((a) => [a.fingerprint, a]))
    const nowMs = this.now()
    const active = (silences ?? []).map((r) => JSON.parse(r) as Silence).filter((s) => silenceState(s, nowMs) === 'active')
    const rank = { firing: 0, pending: 1, resolved: 2 } as const
    return (alerts ?? [])
      .map((r) => JSON.parse(r) as Alert)
      .map((a) => {
        const ack = ackByFp.get(a.fingerprint)
        const labels = matchLabels(a)
        return {
          ...a,
          acknowledged: ack !== undefined && ack.startsAtMs === a.startsAtMs ? ack : undefined,
          silencedBy: active.filter((s) => matchesAll(s.matchers, labels)).map((s) => s.id),
        }
      })
      .sort((x, y) => rank[x.status] - rank[y.status] || y.updatedAtMs - x.updatedAtMs)
  }

  /** One live alert. */
  async get(tenant: string, fingerprint: string): Promise<ActiveAlert> {
    const found = (await this.active(tenant)).find((a) => a.fingerprint === fingerprint)
    if (found === undefined) throw new AlertNotFoundError(`alert ${fingerprint}`)
    return found
  }
}
