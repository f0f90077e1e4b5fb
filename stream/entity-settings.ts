import type { Redis } from 'ioredis'
import { AdwatchError } from '../core/errors.ts'
import { RedisKeys } from './redis-keys.ts'

/** Settings of a campaign that rules and the dashboard use (budget pacing, display name). */
export interface CampaignSettings {
  readonly name?: string
  /** Daily budget in micros of the account's currency. */
  readonly dailyBudgetMicros?: number
}

/** Settings of an account: its time zone decides what "today" means for all its entities. */
export interface AccountSettings {
  readonly name?: string
  readonly timeZone?: string
}

/**
 * Reads and writes campaign and account settings in Redis (until the gateway's settings API
 * exists, `npx tsx stream/settings-cli.ts` sets them). Reads are bulk: one pipeline.
 */
export class EntitySettingsStore {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /** Settings of many campaigns of a tenant, in one round trip. */
  async campaigns(tenant: string, campaigns: readonly string[]): Promise<Map<string, CampaignSettings>> {
    if (campaigns.length === 0) return new Map()
    const res = (await this.redis.pipeline(campaigns.map((c) => ['hmget', this.keys.campaignSettings(tenant, c), 'name', 'daily_budget_micros'])).exec()) ?? []
    return new Map(
      campaigns.map((c, i) => {
        const [name, budget] = (res[i]?.[1] as (string | null)[] | null) ?? []
        return [c, { ...(name ? { name } : {}), ...(budget ? { dailyBudgetMicros: Number(budget) } : {}) }]
      }),
    )
  }

  /** Sets a campaign's settings; fields left undefined are kept as they are. */
  async setCampaign(tenant: string, campaign: string, s: CampaignSettings): Promise<void> {
    if (s.dailyBudgetMicros !== undefined && (!Number.isSafeInteger(s.dailyBudgetMicros) || s.dailyBudgetMicros < 0)) {
      throw new AdwatchError('ADW_SETTINGS_INVALID', `daily budget must be a non-negative integer of micros, got ${s.dailyBudgetMicros}`)
    }
    const fields: Record<string, string> = {}
    if (s.name !== undefined) fields.name = s.name
    if (s.dailyBudgetMicros !== undefined) fields.daily_budget_micros = String(s.dailyBudgetMicros)
    if (Object.keys(fields).length > 0) await this.redis.hset(this.keys.campaignSettings(tenant, campaign), fields)
  }

  /** Settings of an account. */
  async account(tenant: string, account: string): Promise<AccountSettings> {
    const [name, tz] = await this.redis.hmget(this.keys.accountSettings(tenant, account), 'name', 'tz')
    return { ...(name ? { name } : {}), ...(tz ? { timeZone: tz } : {}) }
  }

  /** Sets an account's settings; a time zone is checked and mirrored where the fold reads it. */
  async setAccount(tenant: string, account: string, s: AccountSettings): Promise<void> {
    if (s.timeZone !== undefined) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: s.timeZone })
      } catch {
        throw new AdwatchError('ADW_SETTINGS_INVALID', `time zone "${s.timeZone}" is not an IANA zone such as "America/New_York"`)
      }
    }
    const multi = this.redis.multi()
    if (s.name !== undefined) multi.hset(this.keys.accountSettings(tenant, account), 'name', s.name)
    if (s.timeZone !== undefined) {
      multi.hset(this.keys.accountSettings(tenant, account), 'tz', s.timeZone)
      multi.hset(this.keys.accountTimeZones(tenant), account, s.timeZone)
    }
    await multi.exec()
  }
}
