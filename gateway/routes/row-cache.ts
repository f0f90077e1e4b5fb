/**
 * A tenant's list rows (every campaign or account with its windows), built at most once per
 * `ttlMs`, and values derived from them (a sorted order, a serialised page) computed at most
 * once per key in that time, shared by the requests in between: the hundredth request for the
 * first page of a tenant's campaigns in 250 ms costs a map lookup, not thousands of window sums
 * and 60 KB of JSON. `ttlMs` 0 builds every time. forget() drops a tenant's rows after a change
 * made here.
 *
 * Stale while revalidating: once rows are older than `ttlMs`, the next request starts one
 * rebuild and, like the requests after it, is answered from the old rows until the rebuild
 * is done, so no request waits for Redis and the build behind it (those waits were the read
 * p99). Rows older than STALE_LIMIT × `ttlMs` are never served: a request then waits for
 * fresh ones, and a failing rebuild (Redis down) becomes its error instead of old data.
 */
export class RowCache<T> {
  private readonly entries = new Map<string, Entry<T>>()

  constructor(private readonly ttlMs: number, private readonly now: () => number) {}

  /** A value derived from the tenant's rows, from the cache when fresh. */
  async derived<V>(tenant: string, key: string, build: () => Promise<T[]>, derive: (rows: readonly T[]) => V): Promise<V> {
    const now = this.now()
    let entry = this.entries.get(tenant)
    const age = entry === undefined ? Infinity : now - entry.atMs
    if (entry === undefined || this.ttlMs === 0 || (age >= this.ttlMs && (entry.rows === undefined || age >= STALE_LIMIT * this.ttlMs))) {
      entry = this.start(tenant, now, build)
    } else if (age >= this.ttlMs) {
      this.refresh(tenant, entry, now, build)
    }
    const rows = entry.rows ?? (await entry.pending)
    if (entry.derived.has(key)) return entry.derived.get(key) as V
    const value = derive(rows)
    entry.derived.set(key, value)
    return value
  }

  forget(tenant: string): void {
    this.entries.delete(tenant)
  }

  /** A new entry whose rows are being built; requests wait for them. A failed build is dropped. */
  private start(tenant: string, now: number, build: () => Promise<T[]>): Entry<T> {
    const entry: Entry<T> = { atMs: now, rows: undefined, pending: build(), derived: new Map(), refreshing: false }
    this.entries.set(tenant, entry)
    entry.pending.then(
      (rows) => (entry.rows = rows),
      () => {
        if (this.entries.get(tenant) === entry) this.entries.delete(tenant)
      },
    )
    return entry
  }

  /** Builds the tenant's rows in the background (once at a time) and swaps them in when done. */
  private refresh(tenant: string, stale: Entry<T>, now: number, build: () => Promise<T[]>): void {
    if (stale.refreshing) return
    stale.refreshing = true
    build().then(
      (rows) => {
        if (this.entries.get(tenant) !== stale) return // forgotten or replaced meanwhile
        this.entries.set(tenant, { atMs: now, rows, pending: Promise.resolve(rows), derived: new Map(), refreshing: false })
      },
      () => {
        // Kept stale: the next request tries again, and past the staleness limit waits and sees the error.
        stale.refreshing = false
      },
    )
  }
}

/** Rows are served stale for at most this many TTLs (see RowCache). */
const STALE_LIMIT = 8

interface Entry<T> {
  /** When the rows were read (the build's start). */
  readonly atMs: number
  /** The rows once built. */
  rows: T[] | undefined
  readonly pending: Promise<T[]>
  readonly derived: Map<string, unknown>
  refreshing: boolean
}
