/**
 * The seeded generator of the detectors (sfc32, seeded through splitmix32). Pure: the same
 * seed gives the same sequence on every machine, so a model trained twice with one seed is
 * the same model, bit for bit.
 */

/** A seeded source of uniform numbers. */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n) for n ≥ 1. */
  below(n: number): number
}

/** Builds a generator from a 32-bit integer seed (other numbers are truncated to 32 bits). */
export function createSeededRandom(seed: number): SeededRandom {
  let s = seed >>> 0
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  // sfc32 mixes weakly for its first outputs.
  for (let i = 0; i < 12; i++) next()
  return {
    next,
    below(n) {
      return Math.floor(next() * n)
    },
  }
}

/** A 32-bit seed derived from a base seed and a label (per tenant, level or entity models). */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}
