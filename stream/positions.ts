/**
 * A position orders every user record of a shard: the Kinesis sequence number plus the
 * KPL sub-sequence. Encoded so that plain string comparison (in JS, Lua and ClickHouse's
 * max(String)) orders positions like the numbers they stand for: a 3-digit length, the
 * decimal sequence number, and a 6-digit sub-sequence.
 */
export type Position = string

/** Encodes a sequence number (decimal string, no leading zeros) and a sub-sequence. */
export function encodePosition(sequenceNumber: string, subSequence = 0): Position {
  // Every user record gets one: checks and padding are spelled out rather than regex and padStart.
  const n = sequenceNumber.length
  if (n === 0 || n > 256 || (n > 1 && sequenceNumber.charCodeAt(0) === 0x30) || !DIGITS.test(sequenceNumber)) {
    throw new Error(`not a Kinesis sequence number: ${sequenceNumber}`)
  }
  if (!Number.isInteger(subSequence) || subSequence < 0 || subSequence > 999_999) throw new Error(`sub-sequence out of range: ${subSequence}`)
  const length = n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n)
  return length + sequenceNumber + (subSequence === 0 ? '000000' : String(subSequence).padStart(6, '0'))
}

const DIGITS = /^\d+$/

/** The sequence number inside a position. */
export function sequenceOf(pos: Position): string {
  const len = Number(pos.slice(0, 3))
  return pos.slice(3, 3 + len)
}

/** True when `a` comes after `b`; an undefined `b` (no checkpoint) comes before everything. */
export function isAfter(a: Position, b: Position | undefined): boolean {
  return b === undefined || a > b
}

/** The earlier of two checkpoints; undefined (nothing processed) is the earliest. */
export function earlierOf(a: Position | undefined, b: Position | undefined): Position | undefined {
  if (a === undefined || b === undefined) return undefined
  return a < b ? a : b
}
