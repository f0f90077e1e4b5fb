/**
 * The delta tuples of one change-feed field (`m` or `d`, see encodeChanges in
 * redis-counter-store.ts): `[[level index, entity, key, i, c, s, v, r], …]` where the key is a
 * minute (ms) or a local day (YYYY-MM-DD), decoded into columns: no array per tuple.
 */
export interface FeedTuples {
  readonly count: number
  readonly levels: Uint8Array
  readonly entities: readonly string[]
  /** Minute ms (`m`) or day (`d`) of each tuple. */
  readonly keys: ReadonlyArray<number | string>
  /** The five sums of tuple `t` at `t * 5`. */
  readonly sums: Float64Array
}

const EMPTY: FeedTuples = { count: 0, levels: new Uint8Array(0), entities: [], keys: [], sums: new Float64Array(0) }

/**
 * Decodes a field's JSON into columns, with exactly JSON.parse's values. The writer's own text
 * (no spaces, plain strings, integers of at most 15 digits) is scanned directly; anything else
 * (escapes, fractions, exponents, whitespace, other shapes) goes through JSON.parse, which also
 * throws on what is not JSON.
 */
export function decodeFeedTuples(json: string): FeedTuples {
  return scan(json) ?? fromParsed(JSON.parse(json) as unknown)
}

const QUOTE = 34
const COMMA = 44
const OPEN = 91
const CLOSE = 93
const MINUS = 45
const ZERO = 48
const BACKSLASH = 92

/**
 * The fast path; undefined when the text is not in the writer's plain form. One loop with
 * local state only (fields are read in place: a number's digits accumulated, a string sliced).
 */
function scan(s: string): FeedTuples | undefined {
  const n = s.length
  if (n < 2 || s.charCodeAt(0) !== OPEN) return undefined
  if (n === 2 && s.charCodeAt(1) === CLOSE) return EMPTY
  const levels: number[] = []
  const entities: string[] = []
  const keys: Array<number | string> = []
  let sums = new Float64Array(5 * 1_024)
  let count = 0
  let lastDay = ''
  let i = 1
  for (;;) {
    if (s.charCodeAt(i++) !== OPEN) return undefined
    // Eight fields: level, entity, key (number or string), five sums.
    let level = 0
    let entity = ''
    let key: number | string = 0
    if (count * 5 + 5 > sums.length) {
      const grown = new Float64Array(sums.length * 2)
      grown.set(sums)
      sums = grown
    }
    for (let f = 0; f < 8; f++) {
      if (f > 0 && s.charCodeAt(i++) !== COMMA) return undefined
      if (s.charCodeAt(i) === QUOTE) {
        if (f !== 1 && f !== 2) return undefined
        const start = ++i
        for (;;) {
          if (i >= n) return undefined
          const c = s.charCodeAt(i)
          if (c === QUOTE) break
          if (c === BACKSLASH || c < 0x20) return undefined
          i++
        }
        if (f === 1) entity = copyOf(s, start, i++)
        else {
          // Every tuple of an entry names one or two days: the same string again keeps its hash.
          key = lastDay.length === i - start && s.startsWith(lastDay, start) ? lastDay : (lastDay = copyOf(s, start, i))
          i++
        }
        continue
      }
      if (f === 1) return undefined
      let neg = false
      if (s.charCodeAt(i) === MINUS) {
        neg = true
        i++
      }
      const start = i
      let v = 0
      while (i < n) {
        const d = s.charCodeAt(i) - ZERO
        if (d < 0 || d > 9) break
        v = v * 10 + d
        i++
      }
      const len = i - start
      if (len === 0 || len > 15 || (len > 1 && s.charCodeAt(start) === ZERO)) return undefined
      if (neg) v = -v
      if (f === 0) {
        if (neg || v > 255) return undefined
        level = v
      } else if (f === 2) key = v
      else sums[count * 5 + f - 3] = v
    }
    if (s.charCodeAt(i++) !== CLOSE) return undefined
    levels.push(level)
    entities.push(entity)
    keys.push(key)
    count++
    const next = s.charCodeAt(i++)
    if (next === CLOSE) return i === n ? { count, levels: Uint8Array.from(levels), entities, keys, sums } : undefined
    if (next !== COMMA) return undefined
  }
}

/**
 * `s.slice(start, end)` as a string of its own: V8 makes a slice of 13 characters or more a view
 * that keeps the whole feed entry alive, and entity names are kept as map keys.
 */
function copyOf(s: string, start: number, end: number): string {
  return end - start < 13 ? s.slice(start, end) : (JSON.parse(s.slice(start - 1, end + 1)) as string)
}

/** Columns from JSON.parse's arrays (the slow path). */
function fromParsed(parsed: unknown): FeedTuples {
  const list = parsed as ReadonlyArray<readonly [number, string, number | string, number, number, number, number, number]>
  const sums = new Float64Array(list.length * 5)
  list.forEach((t, j) => {
    for (let m = 0; m < 5; m++) sums[j * 5 + m] = (t[3 + m] as number | null | undefined) ?? 0 // as `sums[i] ?? 0` in LiveWindowState
  })
  return { count: list.length, levels: Uint8Array.from(list, (t) => t[0]), entities: list.map((t) => t[1]), keys: list.map((t) => t[2]), sums }
}
