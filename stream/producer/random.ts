/**
 * A small seeded pseudo-random generator (sfc32, seeded through cyrb128) and the draws the
 * synthetic producer needs. Pure: the same seed gives the same sequence on every machine.
 */

/** A seeded random source; every method advances the same underlying sequence. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number
  /** Uniform in [min, max). */
  float(min: number, max: number): number
  /** True with probability p. */
  chance(p: number): boolean
  /** One element, uniformly; throws on an empty list. */
  pick<T>(items: readonly T[]): T
  /** One element with probability proportional to its weight; throws when no weight is positive. */
  pickWeighted<T>(items: readonly T[], weight: (item: T) => number): T
  /** Normal (Gaussian) draw, Box–Muller. */
  normal(mean: number, sd: number): number
  /** Log-normal draw: exp of normal(mu, sigma); median exp(mu). */
  logNormal(mu: number, sigma: number): number
  /** Non-negative integer with mean lambda: exact (Knuth) below 30, normal approximation above. */
  poisson(lambda: number): number
  /** Fisher–Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[]
  /** An independent generator derived from this one's seed and a label (order-independent). */
  fork(label: string): Rng
}

/** Builds a generator from a numeric or string seed. */
export function createRng(seed: number | string): Rng {
  const seedText = String(seed)
  const [a0, b0, c0, d0] = cyrb128(seedText)
  let a = a0
  let b = b0
  let c = c0
  let d = d0
  let spareNormal: number | undefined

  const next = (): number => {
    // sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG), 32-bit state words.
    a |= 0
    b |= 0
    c |= 0
    d |= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  // Discard the first outputs: sfc32 mixes weakly for a few rounds after seeding.
  for (let i = 0; i < 12; i++) next()

  const standardNormal = (): number => {
    if (spareNormal !== undefined) {
      const s = spareNormal
      spareNormal = undefined
      return s
    }
    let u = 0
    while (u === 0) u = next()
    const v = next()
    const r = Math.sqrt(-2 * Math.log(u))
    spareNormal = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  const rng: Rng = {
    next,
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new RangeError(`int(${min}, ${max}): need integers with min <= max`)
      return min + Math.floor(next() * (max - min + 1))
    },
    float(min, max) {
      return min + next() * (max - min)
    },
    chance(p) {
      return next() < p
    },
    pick(items) {
      if (items.length === 0) throw new RangeError('pick from an empty list')
      return items[Math.floor(next() * items.length)] as (typeof items)[number]
    },
    pickWeighted(items, weight) {
      let total = 0
      for (const item of items) total += Math.max(0, weight(item))
      if (!(total > 0)) throw new RangeError('pickWeighted: no positive weight')
      let r = next() * total
      for (const item of items) {
        r -= Math.max(0, weight(item))
        if (r < 0) return item
      }
      // Rounding left r at ~0: return the last positively weighted item.
      for (let i = items.length - 1; i >= 0; i--) {
        const item = items[i] as (typeof items)[number]
        if (weight(item) > 0) return item
      }
      throw new RangeError('pickWeighted: no positive weight')
    },
    normal(mean, sd) {
      return mean + sd * standardNormal()
    },
    logNormal(mu, sigma) {
      return Math.exp(mu + sigma * standardNormal())
    },
    poisson(lambda) {
      if (!(lambda > 0)) return 0
      if (lambda < 30) {
        const limit = Math.exp(-lambda)
        let k = 0
        let p = next()
        while (p > limit) {
          k++
          p *= next()
        }
        return k
      }
      return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * standardNormal()))
    },
    shuffle(items) {
      const out = items.slice()
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        const tmp = out[i] as (typeof out)[number]
        out[i] = out[j] as (typeof out)[number]
        out[j] = tmp
      }
      return out
    },
    fork(label) {
      return createRng(`${seedText}\u0000${label}`)
    },
  }
  return rng
}

/** cyrb128 string hash: four 32-bit words to seed sfc32. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703
  let h2 = 3144134277
  let h3 = 1013904242
  let h4 = 2773480762
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}
