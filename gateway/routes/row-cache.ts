/**
 * A tenant's list rows (every campaign or account with its windows), built at most once per
 * `ttlMs` and sorted at most once per sort key in that time, shared by the requests in between:
 * a page of 50 out of thousands then costs a slice, not thousands of window sums. `ttlMs` 0
 * builds every time. forget() drops a tenant's rows after a change made here.
 */
export class RowCache<T> {
  private readonly entries = new Map<string, { atMs: number; rows: Promise<T[]>; sorted: Map<string, T[]> }>()

  constructor(private readonly ttlMs: number, private readonly now: () => number) {}

  /** The tenant's rows sorted by `sortKey`, from the cache when fresh. */
  async sorted(tenant: string, sortKey: string, build: () => Promise<T[]>, sort: (rows: T[]) => T[]): Promise<T[]> {
    const now = this.now()
    let entry = this.entries.get(tenant)
    if (entry === undefined || this.ttlMs === 0 || now - entry.atMs >= this.ttlMs) {
      entry = { atMs: now, rows: build(), sorted: new Map() }
      this.entries.set(tenant, entry)
      const built = entry
      built.rows.catch(() => {
        if (this.entries.get(tenant) === built) this.entries.delete(tenant)
      })
    }
    const rows = await entry.rows
    let sorted = entry.sorted.get(sortKey)
    if (sorted === undefined) entry.sorted.set(sortKey, (sorted = sort([...rows])))
    return sorted
  }

  forget(tenant: string): void {
    this.entries.delete(tenant)
  }
}
