import type { EventType } from '../event.ts'
import type { Campaign, Catalogue } from './catalogue.ts'
import { createRng } from './random.ts'

/**
 * Injectable anomalies for the synthetic producer, and their ground truth. Pure: traffic.ts
 * asks, per campaign, event type and time, how much to scale the event rate and the spend.
 */

/** The anomalies the producer can inject. */
export const ANOMALY_KINDS = ['spend_spike', 'click_burst', 'spend_stop', 'cpc_drift'] as const
/** One of ANOMALY_KINDS. */
export type AnomalyKind = (typeof ANOMALY_KINDS)[number]

/**
 * One injected anomaly, active on [startMs, endMs); also the ground-truth row written to file.
 * `factor`: spend_spike multiplies spend, click_burst the click rate, cpc_drift is the CPC
 * multiplier reached at endMs (rising linearly from 1), spend_stop is 0 (no events at all).
 */
export interface Anomaly {
  readonly kind: AnomalyKind
  readonly tenant: string
  readonly account: string
  readonly campaign: string
  readonly startMs: number
  readonly endMs: number
  readonly factor: number
}

/** Anomalies grouped by `tenant/campaign`, the form traffic.ts looks them up in. */
export type AnomalyIndex = ReadonlyMap<string, readonly Anomaly[]>

/** The lookup key of a campaign in an AnomalyIndex. */
export function anomalyKey(tenant: string, campaign: string): string {
  return `${tenant}/${campaign}`
}

/** Checks and groups anomalies by campaign; throws on an empty window or a nonsensical factor. */
export function indexAnomalies(anomalies: readonly Anomaly[]): AnomalyIndex {
  const index = new Map<string, Anomaly[]>()
  for (const [i, a] of anomalies.entries()) {
    if (!(ANOMALY_KINDS as readonly string[]).includes(a.kind)) throw new RangeError(`anomalies[${i}].kind: unknown kind "${a.kind}"`)
    if (!(a.endMs > a.startMs)) throw new RangeError(`anomalies[${i}]: endMs must be after startMs`)
    if (a.kind !== 'spend_stop' && !(a.factor > 0)) throw new RangeError(`anomalies[${i}].factor must be positive for ${a.kind}`)
    const key = anomalyKey(a.tenant, a.campaign)
    const list = index.get(key) ?? []
    list.push(a)
    index.set(key, list)
  }
  return index
}

function isActive(a: Anomaly, tsMs: number): boolean {
  return tsMs >= a.startMs && tsMs < a.endMs
}

/** Multiplier of the rate of `type` events at `tsMs`: 0 while stopped, k during a click burst. */
export function rateFactorAt(list: readonly Anomaly[] | undefined, type: EventType, tsMs: number): number {
  if (list === undefined) return 1
  let factor = 1
  for (const a of list) {
    if (!isActive(a, tsMs)) continue
    if (a.kind === 'spend_stop') return 0
    if (a.kind === 'click_burst' && type === 'click') factor *= a.factor
  }
  return factor
}

/** Upper bound of rateFactorAt over [fromMs, toMs), for thinning. */
export function maxRateFactor(list: readonly Anomaly[] | undefined, type: EventType, fromMs: number, toMs: number): number {
  if (list === undefined) return 1
  let factor = 1
  for (const a of list) {
    const overlaps = a.startMs < toMs && a.endMs > fromMs
    if (overlaps && a.kind === 'click_burst' && type === 'click') factor *= Math.max(1, a.factor)
  }
  return factor
}

/** Multiplier of an event's spend at `tsMs`: spend spikes on all spend, CPC drift on clicks. */
export function spendFactorAt(list: readonly Anomaly[] | undefined, type: EventType, tsMs: number): number {
  if (list === undefined) return 1
  let factor = 1
  for (const a of list) {
    if (!isActive(a, tsMs)) continue
    if (a.kind === 'spend_spike') factor *= a.factor
    if (a.kind === 'cpc_drift' && type === 'click') factor *= 1 + ((a.factor - 1) * (tsMs - a.startMs)) / (a.endMs - a.startMs)
  }
  return factor
}

/** What planAnomalies should place: how many, of which kinds, over which span. */
export interface AnomalyPlanOptions {
  readonly seed: number
  readonly startMs: number
  readonly durationMs: number
  /** Default: one of each kind. */
  readonly count?: number
  readonly kinds?: readonly AnomalyKind[]
}

/**
 * Picks anomalies on distinct, busy campaigns (the heavier half by weight, so they show),
 * each lasting 10–25% of the span and starting after its first 10% (a clean baseline).
 * Kinds cycle through `kinds`; deterministic by seed.
 */
export function planAnomalies(catalogue: Catalogue, opts: AnomalyPlanOptions): Anomaly[] {
  const kinds = opts.kinds ?? ANOMALY_KINDS
  const count = opts.count ?? kinds.length
  if (kinds.length === 0 || count <= 0) return []
  const rng = createRng(`anomalies:${opts.seed}:${opts.startMs}`)
  const busy = [...catalogue.campaigns].sort((a, b) => b.weight - a.weight).slice(0, Math.max(1, Math.ceil(catalogue.campaigns.length / 2)))
  const chosen: Campaign[] = rng.shuffle(busy).slice(0, count)
  return chosen.map((campaign, i) => {
    const kind = kinds[i % kinds.length] as AnomalyKind
    const lengthMs = Math.round(opts.durationMs * rng.float(0.1, 0.25))
    const earliest = opts.startMs + Math.round(opts.durationMs * 0.1)
    const latest = opts.startMs + opts.durationMs - lengthMs
    const startMs = Math.round(rng.float(earliest, Math.max(earliest, latest)))
    const factor =
      kind === 'spend_spike' ? round1(rng.float(3, 6))
      : kind === 'click_burst' ? round1(rng.float(4, 10))
      : kind === 'cpc_drift' ? round1(rng.float(2, 4))
      : 0
    return { kind, tenant: campaign.tenant, account: campaign.account, campaign: campaign.id, startMs, endMs: startMs + lengthMs, factor }
  })
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}
