/**
 * Writes ClickHouse's RowBinary format, the cheapest insert format for both sides (measured
 * in docs/decisions.md): values go in column order with no separators or escaping. String is
 * a LEB128 byte length then the UTF-8 bytes; UInt32 and DateTime (epoch seconds) are 4 bytes
 * and UInt64 8 bytes, little-endian. The same bytes load on ClickHouse 18.16 and current
 * versions. Pure: a growable buffer, no I/O.
 */
export class RowBinaryWriter {
  private buf: Buffer
  private at = 0

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(Math.max(64, initialBytes))
  }

  /** Bytes written so far. */
  get length(): number {
    return this.at
  }

  /** A String value. */
  string(s: string): void {
    const n = s.length
    // At most 3 UTF-8 bytes per UTF-16 unit, plus a LEB128 length of at most 5 bytes.
    if (this.at + 3 * n + 5 > this.buf.length) this.grow(3 * n + 5)
    const buf = this.buf
    const o = this.at
    if (n < 128) {
      // Short ASCII strings are copied by hand: a native write call costs more than the bytes.
      buf[o] = n
      let i = 0
      for (; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c > 0x7f) break
        buf[o + 1 + i] = c
      }
      if (i === n) {
        this.at = o + 1 + n
        return
      }
    }
    let p = o
    let len = Buffer.byteLength(s, 'utf8')
    while (len >= 0x80) {
      buf[p++] = (len & 0x7f) | 0x80
      len >>>= 7
    }
    buf[p++] = len
    this.at = p + buf.write(s, p, 'utf8')
  }

  /** A UInt64 value from a non-negative safe integer. */
  uint64(n: number): void {
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`UInt64 expects a non-negative safe integer, got ${n}`)
    if (this.at + 8 > this.buf.length) this.grow(8)
    const lo = n % 0x1_0000_0000
    this.put32(lo, this.at)
    this.put32((n - lo) / 0x1_0000_0000, this.at + 4)
    this.at += 8
  }

  /** A UInt32 value. */
  uint32(n: number): void {
    if (!(Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff)) throw new RangeError(`UInt32 expects an integer from 0 to 2^32 - 1, got ${n}`)
    if (this.at + 4 > this.buf.length) this.grow(4)
    this.put32(n, this.at)
    this.at += 4
  }

  /** A DateTime value: whole seconds since the epoch (UTC). */
  dateTime(epochSec: number): void {
    this.uint32(epochSec)
  }

  /** The bytes written (a view of the writer's buffer; write nothing more after taking it). */
  finish(): Buffer {
    return this.buf.subarray(0, this.at)
  }

  /** Stores a checked 32-bit unsigned value little-endian (plain byte stores beat Buffer's checked writers). */
  private put32(n: number, at: number): void {
    const buf = this.buf
    buf[at] = n & 0xff
    buf[at + 1] = (n >>> 8) & 0xff
    buf[at + 2] = (n >>> 16) & 0xff
    buf[at + 3] = (n >>> 24) & 0xff
  }

  private grow(atLeast: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + atLeast))
    this.buf.copy(next, 0, 0, this.at)
    this.buf = next
  }
}
