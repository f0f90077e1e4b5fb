import type { SlicedJob } from './sliced-task.ts'

/** Work units (element moves or comparisons) between two yields. */
const UNITS_PER_YIELD = 512
const RUN = 8

/**
 * The indices 0…n-1 ordered by `compare` (stable): insertion sort of runs of 8, then bottom-up
 * merges over two Int32Arrays, yielding every few hundred element moves so `runSliced` can cut
 * a 5,000-row sort into short tasks. No allocation beyond the two index arrays.
 */
export function* sortIndices(n: number, compare: (a: number, b: number) => number): SlicedJob<Int32Array> {
  let src = new Int32Array(n)
  for (let i = 0; i < n; i++) src[i] = i
  let units = 0
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n)
    for (let i = lo + 1; i < hi; i++) {
      const v = src[i]!
      let j = i - 1
      while (j >= lo && compare(src[j]!, v) > 0) {
        src[j + 1] = src[j]!
        j--
      }
      src[j + 1] = v
    }
    units += RUN * 2
    if (units >= UNITS_PER_YIELD) {
      units = 0
      yield
    }
  }
  if (n <= RUN) return src
  let dst = new Int32Array(n)
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n)
      const hi = Math.min(lo + 2 * width, n)
      let i = lo
      let j = mid
      let k = lo
      while (i < mid && j < hi) {
        // `<= 0` takes the left one on ties: stable.
        if (compare(src[i]!, src[j]!) <= 0) dst[k++] = src[i++]!
        else dst[k++] = src[j++]!
        if (++units >= UNITS_PER_YIELD) {
          units = 0
          yield
        }
      }
      while (i < mid) dst[k++] = src[i++]!
      while (j < hi) dst[k++] = src[j++]!
    }
    const t = src
    src = dst
    dst = t
  }
  return src
}
