import { createRng, type Rng } from './random.ts'

/**
 * The synthetic advertisers: tenants ▸ accounts (per platform, with time zone and daily
 * budget) ▸ campaigns (with their economics) ▸ ad sets ▸ ads. Pure and deterministic: the
 * same options give the same catalogue.
 */

/** Names of synthetic tenants, in order; `tenants: n` takes the first n (suffixed past the list). */
export const TENANT_NAMES = [
  'acme', 'globex', 'initech', 'umbrella', 'hooli', 'soylent', 'stark', 'wayne', 'wonka', 'cyberdyne',
  'tyrell', 'vandelay', 'aperture', 'oscorp', 'nakatomi', 'virtucon', 'weyland', 'piedpiper', 'gringotts', 'dunder',
] as const

/** Ad platforms the producer simulates. */
export const PLATFORMS = ['meta', 'google', 'tiktok'] as const
/** One of PLATFORMS. */
export type Platform = (typeof PLATFORMS)[number]

/** Time zones accounts are spread over. */
export const TIME_ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'America/Los_Angeles'] as const

/** A campaign with the economics traffic is drawn from; money in integer micros (USD). */
export interface Campaign {
  readonly tenant: string
  readonly platform: Platform
  readonly account: string
  readonly id: string
  readonly timeZone: string
  /** The account's currency (ISO 4217); money fields are micros of it. */
  readonly currency: string
  /** Share of the account's daily budget. */
  readonly dailyBudgetMicros: number
  /** Relative traffic volume (heavy-tailed across campaigns). */
  readonly weight: number
  readonly cpmMicros: number
  /** Clicks per impression. */
  readonly ctr: number
  readonly cpcMicros: number
  /** Conversions per click. */
  readonly conversionRate: number
  readonly avgOrderValueMicros: number
  readonly adsets: readonly Adset[]
}

/** An ad set and its ads. */
export interface Adset {
  readonly id: string
  readonly ads: readonly string[]
}

/** An ad account on one platform. */
export interface Account {
  readonly tenant: string
  readonly platform: Platform
  readonly id: string
  readonly timeZone: string
  readonly dailyBudgetMicros: number
  readonly currency: string
  readonly campaigns: readonly Campaign[]
}

/** A tenant and its accounts. */
export interface Tenant {
  readonly name: string
  readonly accounts: readonly Account[]
}

/** The whole synthetic catalogue; `campaigns` lists every campaign of every tenant. */
export interface Catalogue {
  readonly seed: number
  readonly tenants: readonly Tenant[]
  readonly accounts: readonly Account[]
  readonly campaigns: readonly Campaign[]
}

/** What to build: tenant count and the total number of campaigns across all tenants. */
export interface CatalogueOptions {
  readonly seed: number
  readonly tenants: number
  readonly campaigns: number
  /** Tenant names to use instead of the first `tenants` synthetic names. */
  readonly names?: readonly string[]
}

/** The first `count` synthetic tenant names; past the list, names repeat with a numeric suffix. */
export function tenantNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`tenant count must be a positive integer, got ${count}`)
  return Array.from({ length: count }, (_, i) => {
    const base = TENANT_NAMES[i % TENANT_NAMES.length] as string
    const round = Math.floor(i / TENANT_NAMES.length)
    return round === 0 ? base : `${base}${round + 1}`
  })
}

const ACCOUNT_PREFIX: Record<Platform, string> = { meta: 'act_', google: 'cust_', tiktok: 'adv_' }

/** Typical CPM (USD) ranges per platform. */
const CPM_USD: Record<Platform, readonly [number, number]> = { meta: [6, 14], google: [2, 8], tiktok: [3, 10] }

/**
 * Builds the catalogue. Every tenant has 1–3 accounts on each platform; campaigns (at least
 * one per account when there are enough) are shared out by weight; each has 1–4 ad sets of
 * 1–3 ads. Ids are unique within a tenant.
 */
export function buildCatalogue(opts: CatalogueOptions): Catalogue {
  if (!Number.isInteger(opts.campaigns) || opts.campaigns < 1) throw new RangeError(`campaigns must be a positive integer, got ${opts.campaigns}`)
  const rng = createRng(`catalogue:${opts.seed}`)
  const names = opts.names ?? tenantNames(opts.tenants)
  if (names.length === 0 || new Set(names).size !== names.length) throw new RangeError('tenant names must be non-empty and unique')

  interface AccountDraft { tenant: string; platform: Platform; id: string; timeZone: string; dailyBudgetMicros: number; share: number }
  const drafts: AccountDraft[] = []
  for (const tenant of names) {
    let accountNo = 1000 + rng.int(0, 8999)
    for (const platform of PLATFORMS) {
      const n = rng.int(1, 3)
      for (let i = 0; i < n; i++) {
        accountNo += rng.int(1, 97)
        drafts.push({
          tenant,
          platform,
          id: `${ACCOUNT_PREFIX[platform]}${accountNo}`,
          timeZone: rng.pick(TIME_ZONES),
          // $200 – ~$60k a day, log-uniform, rounded to whole dollars.
          dailyBudgetMicros: Math.round(Math.exp(rng.float(Math.log(200), Math.log(60_000)))) * 1_000_000,
          share: rng.logNormal(0, 0.6),
        })
      }
    }
  }

  const counts = shareOut(opts.campaigns, drafts.map((d) => d.share), rng)
  const campaignNo = new Map<string, number>()
  const adsetNo = new Map<string, number>()
  const adNo = new Map<string, number>()
  const next = (counter: Map<string, number>, tenant: string): number => {
    const n = (counter.get(tenant) ?? 0) + 1
    counter.set(tenant, n)
    return n
  }

  const accounts: Account[] = drafts.map((d, i) => {
    const campaignCount = counts[i] ?? 0
    const weights = Array.from({ length: campaignCount }, () => rng.logNormal(0, 1))
    const weightSum = weights.reduce((a, b) => a + b, 0)
    const campaigns: Campaign[] = weights.map((weight) => {
      const [cpmLow, cpmHigh] = CPM_USD[d.platform]
      const cpmUsd = rng.float(cpmLow, cpmHigh)
      const ctr = clamp(rng.logNormal(Math.log(0.012), 0.5), 0.002, 0.06)
      const adsets: Adset[] = Array.from({ length: rng.int(1, 4) }, () => ({
        id: `as_${next(adsetNo, d.tenant)}`,
        ads: Array.from({ length: rng.int(1, 3) }, () => `ad_${next(adNo, d.tenant)}`),
      }))
      return {
        tenant: d.tenant,
        platform: d.platform,
        account: d.id,
        id: `cmp_${next(campaignNo, d.tenant)}`,
        timeZone: d.timeZone,
        currency: 'USD',
        dailyBudgetMicros: Math.max(1_000_000, Math.round((d.dailyBudgetMicros * weight) / weightSum / 1_000_000) * 1_000_000),
        weight,
        cpmMicros: Math.round(cpmUsd * 1_000_000),
        ctr,
        // CPC near what the CPM and CTR imply, with per-campaign bidding noise.
        cpcMicros: Math.round(clamp((cpmUsd / 1000 / ctr) * rng.logNormal(0, 0.25), 0.15, 12) * 1_000_000),
        conversionRate: clamp(rng.logNormal(Math.log(0.035), 0.6), 0.003, 0.25),
        avgOrderValueMicros: Math.round(rng.logNormal(Math.log(60), 0.7) * 100) * 10_000,
        adsets,
      }
    })
    return {
      tenant: d.tenant,
      platform: d.platform,
      id: d.id,
      timeZone: d.timeZone,
      dailyBudgetMicros: d.dailyBudgetMicros,
      currency: 'USD',
      campaigns,
    }
  })

  const tenants: Tenant[] = names.map((name) => ({ name, accounts: accounts.filter((a) => a.tenant === name) }))
  return {
    seed: opts.seed,
    tenants,
    accounts,
    campaigns: accounts.flatMap((a) => a.campaigns),
  }
}

/** Splits `total` into integer parts proportional to `shares`, each at least 1 while total allows. */
function shareOut(total: number, shares: readonly number[], rng: Rng): number[] {
  const n = shares.length
  const counts = new Array<number>(n).fill(0)
  const base = Math.min(1, Math.floor(total / n))
  counts.fill(base)
  let left = total - base * n
  const sum = shares.reduce((a, b) => a + b, 0)
  const exact = shares.map((s) => (left * s) / sum)
  for (let i = 0; i < n; i++) {
    const whole = Math.floor(exact[i] ?? 0)
    counts[i] = (counts[i] ?? 0) + whole
  }
  left = total - counts.reduce((a, b) => a + b, 0)
  // Hand the remainder out at random, weighted by share.
  const indexes = Array.from({ length: n }, (_, i) => i)
  for (; left > 0; left--) {
    const i = rng.pickWeighted(indexes, (k) => shares[k] ?? 0)
    counts[i] = (counts[i] ?? 0) + 1
  }
  return counts
}

function clamp(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, x))
}
