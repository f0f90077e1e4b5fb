/**
 * An isolation forest laid out for batch scoring, and the batch walk over it. Pure and
 * self-contained (typed arrays and numbers only), so a scoring thread can walk a layout whose
 * arrays live in shared memory (see forest-pool.ts) and give the same bits as the forest.
 */

/** A forest laid out for batch scoring (see IsolationForest.scoringLayout). */
export interface ScoringLayout {
  /** Steps of every walk: the depth of the deepest leaf. */
  readonly height: number
  /** Internal slots per tree, 2^height − 1 (and internal + 1 bottom slots). */
  readonly internal: number
  /** Per internal slot: the split feature. */
  readonly feature: Int32Array
  /** Per internal slot: split value, range low, range high. */
  readonly bounds: Float64Array
  /** Per bottom slot: depth + c(size) of its leaf. */
  readonly leafTotal: Float64Array
  /** Values per row. */
  readonly dims: number
  readonly trees: number
  /** Range-aware scoring of out-of-range points (see IsolationForest). */
  readonly rangeAware: boolean
  /** c(ψ): the path length scores are normalised by. */
  readonly normalizer: number
}

/** Range-aware scoring's chance that a split drawn over [lo, hi] widened to v isolates v (v outside [lo, hi]; 0 inside). */
export function outsideChance(v: number, lo: number, hi: number): number {
  if (v > hi) return (v - hi) / (v - lo)
  if (v < lo) return (lo - v) / (hi - v)
  return 0
}

/**
 * Scores rows [from, to) of row-major `rows` (dims values each) into out[from..to): tree by
 * tree, so each tree's slots stay in cache while every row walks it, four rows at a time with
 * no data-dependent branch in the walk, so the CPU overlaps their chains of dependent loads.
 * Each row's path lengths are added tree by tree in the same order and arithmetic as
 * IsolationForest.score(), so the results equal it to the last bit, whatever the range.
 */
export function scoreLayoutRows(layout: ScoringLayout, rows: Float64Array, from: number, to: number, out: Float64Array): void {
  out.fill(0, from, to)
  const { height, internal, feature, bounds, leafTotal, dims, rangeAware: aware, trees, normalizer } = layout
  for (let t = 0; t < trees; t++) {
    const ti = t * internal
    // Slot s of the bottom level is leafTotal[t * (internal + 1) + s − internal].
    const tb = t * (internal + 1) - internal
    let p = from
    for (; p + 3 < to; p += 4) {
      const o0 = p * dims
      const o1 = o0 + dims
      const o2 = o1 + dims
      const o3 = o2 + dims
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0
      let e0 = 0, e1 = 0, e2 = 0, e3 = 0
      let a0 = 1, a1 = 1, a2 = 1, a3 = 1
      for (let depth = 0; depth < height; depth++) {
        const k0 = ti + s0, k1 = ti + s1, k2 = ti + s2, k3 = ti + s3
        const v0 = rows[o0 + (feature[k0] as number)] as number
        const v1 = rows[o1 + (feature[k1] as number)] as number
        const v2 = rows[o2 + (feature[k2] as number)] as number
        const v3 = rows[o3 + (feature[k3] as number)] as number
        const b0 = k0 * 3, b1 = k1 * 3, b2 = k2 * 3, b3 = k3 * 3
        if (aware) {
          // Outside the node's range (rare): the chance r that a split would have isolated the row here.
          if (v0 > (bounds[b0 + 2] as number) || v0 < (bounds[b0 + 1] as number)) {
            const r = outsideChance(v0, bounds[b0 + 1] as number, bounds[b0 + 2] as number)
            e0 += a0 * r * (depth + 1)
            a0 *= 1 - r
          }
          if (v1 > (bounds[b1 + 2] as number) || v1 < (bounds[b1 + 1] as number)) {
            const r = outsideChance(v1, bounds[b1 + 1] as number, bounds[b1 + 2] as number)
            e1 += a1 * r * (depth + 1)
            a1 *= 1 - r
          }
          if (v2 > (bounds[b2 + 2] as number) || v2 < (bounds[b2 + 1] as number)) {
            const r = outsideChance(v2, bounds[b2 + 1] as number, bounds[b2 + 2] as number)
            e2 += a2 * r * (depth + 1)
            a2 *= 1 - r
          }
          if (v3 > (bounds[b3 + 2] as number) || v3 < (bounds[b3 + 1] as number)) {
            const r = outsideChance(v3, bounds[b3 + 1] as number, bounds[b3 + 2] as number)
            e3 += a3 * r * (depth + 1)
            a3 *= 1 - r
          }
        }
        // Left child 2s + 1 when v < split, else right child 2s + 2 (NaN goes right, as in treePath); a boolean as 0/1, no branch.
        s0 = 2 * s0 + 2 - ((v0 < (bounds[b0] as number)) as unknown as number)
        s1 = 2 * s1 + 2 - ((v1 < (bounds[b1] as number)) as unknown as number)
        s2 = 2 * s2 + 2 - ((v2 < (bounds[b2] as number)) as unknown as number)
        s3 = 2 * s3 + 2 - ((v3 < (bounds[b3] as number)) as unknown as number)
      }
      out[p] = (out[p] as number) + (e0 + a0 * (leafTotal[tb + s0] as number))
      out[p + 1] = (out[p + 1] as number) + (e1 + a1 * (leafTotal[tb + s1] as number))
      out[p + 2] = (out[p + 2] as number) + (e2 + a2 * (leafTotal[tb + s2] as number))
      out[p + 3] = (out[p + 3] as number) + (e3 + a3 * (leafTotal[tb + s3] as number))
    }
    for (; p < to; p++) {
      const o = p * dims
      let slot = 0
      let e = 0
      let a = 1
      for (let depth = 0; depth < height; depth++) {
        const k = ti + slot
        const v = rows[o + (feature[k] as number)] as number
        const b = k * 3
        if (aware && (v > (bounds[b + 2] as number) || v < (bounds[b + 1] as number))) {
          const r = outsideChance(v, bounds[b + 1] as number, bounds[b + 2] as number)
          e += a * r * (depth + 1)
          a *= 1 - r
        }
        slot = 2 * slot + 2 - ((v < (bounds[b] as number)) as unknown as number)
      }
      out[p] = (out[p] as number) + (e + a * (leafTotal[tb + slot] as number))
    }
  }
  for (let p = from; p < to; p++) out[p] = 2 ** (-(out[p] as number) / trees / normalizer)
}
