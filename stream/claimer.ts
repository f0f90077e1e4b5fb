/**
 * A short, stable name for the record that claims an event id: FNV-1a (52 bits, base36)
 * of shard and position. The same record replayed gets the same claimer, so a replay is
 * never mistaken for a duplicate.
 */
export function claimerOf(shard: string, pos: string): string {
  return claimerHasherOf(shard)(pos)
}

/**
 * claimerOf for one shard, with the hash of `shard/` computed once: the consumer names every
 * record of a batch this way. Gives exactly claimerOf's values (claims stored by any version
 * must keep matching their replays).
 */
export function claimerHasherOf(shard: string): (pos: string) => string {
  // Two 32-bit FNV-1a lanes with different offsets, combined to 52 bits.
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ 0x5bd1e995
  const prefix = `${shard}/`
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x01000197)
  }
  const start1 = h1
  const start2 = h2
  return (pos: string): string => {
    let a = start1
    let b = start2
    for (let i = 0; i < pos.length; i++) {
      const c = pos.charCodeAt(i)
      a = Math.imul(a ^ c, 0x01000193)
      b = Math.imul(b ^ c, 0x01000197)
    }
    return base36((a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff))
  }
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'

/**
 * `n.toString(36)` for a non-negative integer below 2^53, without V8's slow general radix
 * conversion. Exact: below 2^53 the quotient n / 36 is never rounded up to the next integer.
 */
function base36(n: number): string {
  let out = ''
  do {
    const q = Math.floor(n / 36)
    out = DIGITS[n - q * 36]! + out
    n = q
  } while (n > 0)
  return out
}
