import type { Redis } from 'ioredis'

/** One stream entry read through a consumer group: its id and fields. */
export interface StreamEntry {
  readonly id: string
  readonly fields: Readonly<Record<string, string>>
}

/**
 * Reading a Redis stream through a consumer group, the way every durable reader of the
 * alerts process does: the group is created at the stream's start (nothing written before
 * the first reader is missed); on taking a tenant over, `claimAll` takes every entry still
 * pending in the group (a crashed reader's included) in id order; then `readNew` reads on.
 * Entries stay pending until acknowledged, so a crash loses nothing.
 */
export class RedisStreamGroup {
  constructor(private readonly redis: Redis, readonly group: string, readonly consumer: string) {}

  /** Creates the group at the start of the stream (and the stream) unless it exists. */
  async ensure(key: string): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', key, this.group, '0', 'MKSTREAM')
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err
    }
  }

  /**
   * Claims every pending entry of the group for this consumer, oldest first, then forgets the
   * consumers left empty (so restarts with new process ids do not pile up consumers).
   */
  async claimAll(key: string, count = 1000): Promise<StreamEntry[]> {
    const out: StreamEntry[] = []
    let cursor = '0-0'
    do {
      const res = (await this.redis.xautoclaim(key, this.group, this.consumer, 0, cursor, 'COUNT', count)) as [string, Array<[string, string[]] | null>, string[]?]
      cursor = res[0]
      for (const e of res[1]) if (e !== null) out.push({ id: e[0], fields: toFields(e[1]) })
    } while (cursor !== '0-0')
    await this.pruneConsumers(key)
    return out.sort((a, b) => compareIds(a.id, b.id))
  }

  /** Entries never delivered to the group before, oldest first. */
  async readNew(key: string, count: number): Promise<StreamEntry[]> {
    const res = (await this.redis.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', count, 'STREAMS', key, '>')) as Array<[string, Array<[string, string[]]>]> | null
    return (res?.[0]?.[1] ?? []).map(([id, fields]) => ({ id, fields: toFields(fields) }))
  }

  /** Forgets the group's other consumers that hold nothing (crashed or stopped processes). */
  async pruneConsumers(key: string): Promise<void> {
    const info = (await this.redis.xinfo('CONSUMERS', key, this.group)) as Array<Array<string | number>>
    for (const c of info) {
      const fields = new Map<string, string | number>()
      for (let i = 0; i + 1 < c.length; i += 2) fields.set(String(c[i]), c[i + 1] as string | number)
      const name = String(fields.get('name'))
      if (name !== this.consumer && Number(fields.get('pending')) === 0) await this.redis.xgroup('DELCONSUMER', key, this.group, name)
    }
  }

  /** Acknowledges entries (they leave the group's pending list). */
  async ack(key: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.xack(key, this.group, ...ids)
  }
}

function toFields(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string
  return out
}

/** Orders stream ids (`<ms>-<seq>`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-')
  const [bm = '0', bs = '0'] = b.split('-')
  return am.length !== bm.length ? am.length - bm.length : am < bm ? -1 : am > bm ? 1 : Number(as) - Number(bs)
}
