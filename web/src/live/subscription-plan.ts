import type { EntityRef } from '../../../gateway/socket-events.ts'

/** `level:id`, the key entities are compared by. */
export function entityKey(e: EntityRef): string {
  return `${e.level}:${e.id}`
}

/** What to change so the socket watches the wanted entities. */
export interface SubscriptionPlan {
  readonly subscribe: readonly EntityRef[]
  readonly unsubscribe: readonly EntityRef[]
}

/**
 * The entities to subscribe and unsubscribe: `wanted` is in priority order (the chart's
 * entity, accounts, visible rows, then every other campaign), de-duplicated and cut at
 * `budget` (what the gateway allows one socket, once it has said so). Pure.
 */
export function planSubscriptions(wanted: readonly EntityRef[], subscribed: ReadonlyMap<string, EntityRef>, budget: number): SubscriptionPlan {
  const keep = new Map<string, EntityRef>()
  for (const e of wanted) {
    if (keep.size >= budget) break
    const k = entityKey(e)
    if (!keep.has(k)) keep.set(k, e)
  }
  const unsubscribe: EntityRef[] = []
  for (const [k, e] of subscribed) if (!keep.has(k)) unsubscribe.push(e)
  const subscribe: EntityRef[] = []
  for (const [k, e] of keep) if (!subscribed.has(k)) subscribe.push(e)
  return { subscribe, unsubscribe }
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size))
  return out
}
