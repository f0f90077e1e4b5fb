/**
 * A short, stable name for the record that claims an event id: FNV-1a (52 bits, base36)
 * of shard and position. The same record replayed gets the same claimer, so a replay is
 * never mistaken for a duplicate.
 */
export function claimerOf(shard: string, pos: string): string {
  // Two 32-bit FNV-1a lanes with different offsets, combined to 52 bits.
  let h1 = 0x811c9dc5
  let h2 = 0x01000193 ^ 0x5bd1e995
  const s = `${shard}/${pos}`
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x01000197)
  }
  return ((h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff)).toString(36)
}
