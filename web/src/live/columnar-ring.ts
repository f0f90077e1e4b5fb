/**
 * A fixed-capacity ring of rows stored as columns (one Float64Array per column), the form
 * uPlot draws from. Each column is backed by twice the capacity, so the live rows are always
 * contiguous: views are `subarray`s (no copy) and a wrap costs one `copyWithin` every
 * `capacity` pushes. The views are rebuilt only when the window moves, so a frame that only
 * rewrites the last row allocates nothing.
 */
export class ColumnarRing {
  private readonly columns: Float64Array[]
  private start = 0
  private length = 0
  private cachedViews: Float64Array[] | undefined

  constructor(readonly capacity: number, readonly columnCount: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`)
    this.columns = Array.from({ length: columnCount }, () => new Float64Array(capacity * 2))
  }

  /** Rows held (≤ capacity). */
  get size(): number {
    return this.length
  }

  /** Appends a row; the oldest row is dropped when full. */
  push(row: ArrayLike<number>): void {
    if (this.length === this.capacity) {
      this.start++
      this.length--
    }
    if (this.start + this.length === this.capacity * 2) {
      for (const c of this.columns) c.copyWithin(0, this.start, this.start + this.length)
      this.start = 0
    }
    const at = this.start + this.length
    for (let i = 0; i < this.columnCount; i++) this.columns[i]![at] = row[i] ?? Number.NaN
    this.length++
    this.cachedViews = undefined
  }

  /** Overwrites column `column` of the row `index` (0 = oldest; negative counts from the end). */
  set(index: number, column: number, value: number): void {
    const i = index < 0 ? this.length + index : index
    if (i < 0 || i >= this.length) throw new RangeError(`row ${index} of ${this.length}`)
    this.columns[column]![this.start + i] = value
  }

  /** The value at row `index` (negative counts from the end), or undefined. */
  get(index: number, column: number): number | undefined {
    const i = index < 0 ? this.length + index : index
    if (i < 0 || i >= this.length) return undefined
    return this.columns[column]![this.start + i]
  }

  /** Removes every row. */
  clear(): void {
    this.start = 0
    this.length = 0
    this.cachedViews = undefined
  }

  /** The live rows, one contiguous view per column, oldest first (valid until the next push). */
  views(): readonly Float64Array[] {
    this.cachedViews ??= this.columns.map((c) => c.subarray(this.start, this.start + this.length))
    return this.cachedViews
  }
}
