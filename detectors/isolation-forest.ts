import { DetectorModelError } from './errors.ts'
import { createSeededRandom } from './random.ts'
import { outsideChance, scoreLayoutRows, type ScoringLayout } from './forest-layout.ts'

/**
 * Isolation forest (Liu, Ting & Zhou, 2008), adwatch's own: each tree is grown on its own
 * subsample of ψ points, to the height limit ⌈log₂ ψ⌉; a point's score is 2^(−E[h(x)]/c(ψ)),
 * where h is its path length plus c(size) of the leaf it ends in. Trees are stored flat in
 * typed arrays (feature, split, right-child offset, and the node's range on its split
 * feature; the left child is the next node): a 100-tree, ψ = 256 forest is about 800 KB and
 * its JSON about 1.1 MB. Pure.
 *
 * One extension, on by default (`rangeAware`): a point outside a node's range on the split
 * feature ends in the same leaf as the node's extreme sample points in the classic scoring,
 * so a value 20σ out scores like the sample's own edge. Range-aware scoring counts the
 * chance r = (x − max) / (x − min) that a split drawn over the range widened to x would have
 * isolated x at that node (as if x had been in the subsample), so far-out points get short
 * expected paths. Points inside every range score as in the paper.
 */

/** Training options; every field has a default. */
export interface IsolationForestOptions {
  /** Trees (default 100). */
  readonly trees?: number
  /** Subsample size ψ per tree (default 256; the whole data when smaller). */
  readonly sampleSize?: number
  /** Seed of the generator: the same data, options and seed give the same forest. */
  readonly seed?: number
  /** Range-aware scoring of out-of-range points (default true); false scores as in the paper. */
  readonly rangeAware?: boolean
}

/** The JSON form of a forest: typed arrays as base64 (little-endian), plus the parameters. */
export interface IsolationForestJson {
  readonly format: 'adwatch-iforest/2'
  readonly dims: number
  readonly trees: number
  readonly sampleSize: number
  readonly seed: number
  readonly rangeAware: boolean
  readonly roots: string
  /** The nodes: NODE_WORDS little-endian 32-bit words each (see the constructor). */
  readonly nodes: string
}

const EULER_GAMMA = 0.5772156649015329
const NODE_WORDS = 4
/** Trees deeper than this (ψ above 2^10) are batch-scored node by node: their layout would be too large. */
const LAYOUT_MAX_HEIGHT = 10
/** Smaller batches (one campaign's own forest scores one row a tick) skip the layout and its memory. */
const BATCH_LAYOUT_MIN_ROWS = 16

/** Average path length of an unsuccessful BST search among n points: the c(n) of the paper. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0
  if (n === 2) return 1
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n
}

/** A trained forest. Score points with `score`; save with `toJSON`, load with `fromJSON`. */
export class IsolationForest {
  private constructor(
    readonly dims: number,
    readonly sampleSize: number,
    readonly seed: number,
    readonly rangeAware: boolean,
    private readonly roots: Uint32Array,
    /**
     * NODE_WORDS 32-bit words per node, so one node is one 16-byte read: split value (c(size)
     * for a leaf: its path-length adjustment), the range [lo, hi] of the node's sample on the
     * split feature (Float32), and a word holding feature + 1 (0 for a leaf) in its low 16 bits
     * and the right child's offset from the tree's root in its high 16 (the left child is the
     * next node).
     */
    private readonly nodesF32: Float32Array,
  ) {
    this.nodesI32 = new Int32Array(nodesF32.buffer, nodesF32.byteOffset, nodesF32.length)
    this.normalizer = averagePathLength(sampleSize)
  }

  private readonly nodesI32: Int32Array

  private readonly normalizer: number

  /** The batch-scoring layout: null until built, undefined when the trees are too deep for it. */
  private layout: ScoringLayout | undefined | null = null

  /** Number of trees. */
  get trees(): number {
    return this.roots.length
  }

  /** Nodes over all trees. */
  get nodes(): number {
    return this.nodesF32.length / NODE_WORDS
  }

  /**
   * Trains on `n` points of `dims` values each, row-major in `data` (n = data.length / dims).
   * Throws ADW_DETECT_MODEL on empty data or bad options.
   */
  static fit(data: Float64Array, dims: number, opts: IsolationForestOptions = {}): IsolationForest {
    const trees = opts.trees ?? 100
    const seed = (opts.seed ?? 1) >>> 0
    if (!Number.isInteger(dims) || dims < 1 || dims > 32_767) throw new DetectorModelError(`isolation forest: dims must be an integer in [1, 32767], got ${dims}`)
    const n = Math.floor(data.length / dims)
    if (n < 1 || data.length % dims !== 0) throw new DetectorModelError(`isolation forest: need at least one point of ${dims} values, got ${data.length} values`)
    if (!Number.isInteger(trees) || trees < 1) throw new DetectorModelError(`isolation forest: trees must be a positive integer, got ${trees}`)
    const requested = opts.sampleSize ?? 256
    if (!Number.isInteger(requested) || requested < 2 || requested > 32_768) throw new DetectorModelError(`isolation forest: sampleSize must be an integer in [2, 32768], got ${requested}`)
    const psi = Math.min(requested, n)
    const heightLimit = Math.ceil(Math.log2(Math.max(2, psi)))
    const rng = createSeededRandom(seed)

    const maxNodes = 2 * psi - 1
    const f32 = new Float32Array(trees * maxNodes * NODE_WORDS)
    const i32 = new Int32Array(f32.buffer)
    const roots = new Uint32Array(trees)
    // A permutation whose first ψ entries are redrawn per tree (partial Fisher–Yates): each
    // tree gets a uniform subsample without replacement in O(ψ), whatever n is.
    const perm = new Uint32Array(n)
    for (let i = 0; i < n; i++) perm[i] = i
    const sample = new Uint32Array(psi)
    const featureOrder = new Int32Array(dims)
    let count = 0

    const build = (from: number, to: number, depth: number, root: number): void => {
      const node = count++
      const size = to - from
      if (depth >= heightLimit || size <= 1) {
        f32[node * NODE_WORDS] = averagePathLength(size)
        return
      }
      // Random attribute among those not constant in this node (drawn without replacement).
      for (let i = 0; i < dims; i++) featureOrder[i] = i
      let q = -1
      let min = 0
      let max = 0
      for (let k = 0; k < dims; k++) {
        const j = k + rng.below(dims - k)
        const f = featureOrder[j] as number
        featureOrder[j] = featureOrder[k] as number
        featureOrder[k] = f
        min = Infinity
        max = -Infinity
        for (let i = from; i < to; i++) {
          const v = data[(sample[i] as number) * dims + f] as number
          if (v < min) min = v
          if (v > max) max = v
        }
        if (max > min) {
          q = f
          break
        }
      }
      if (q < 0) {
        f32[node * NODE_WORDS] = averagePathLength(size)
        return
      }
      let p = Math.fround(min + rng.next() * (max - min))
      if (!(p > min && p <= max)) p = Math.fround((min + max) / 2)
      // Partition: values < p to the left.
      let i = from
      let j = to - 1
      while (i <= j) {
        if ((data[(sample[i] as number) * dims + q] as number) < p) i++
        else {
          const t = sample[i] as number
          sample[i] = sample[j] as number
          sample[j] = t
          j--
        }
      }
      if (i === from || i === to) {
        // Float32 rounding put every point on one side: the range is too narrow to split.
        f32[node * NODE_WORDS] = averagePathLength(size)
        return
      }
      f32[node * NODE_WORDS] = p
      f32[node * NODE_WORDS + 1] = min
      f32[node * NODE_WORDS + 2] = max
      build(from, i, depth + 1, root)
      i32[node * NODE_WORDS + 3] = (q + 1) | ((count - root) << 16)
      build(i, to, depth + 1, root)
    }

    for (let t = 0; t < trees; t++) {
      for (let k = 0; k < psi; k++) {
        const j = k + rng.below(n - k)
        const v = perm[j] as number
        perm[j] = perm[k] as number
        perm[k] = v
        sample[k] = v
      }
      roots[t] = count
      build(0, psi, 0, count)
    }
    return new IsolationForest(dims, psi, seed, opts.rangeAware ?? true, roots, f32.slice(0, count * NODE_WORDS))
  }

  /** Mean (expected, when range-aware) path length E[h(x)] of the point at `offset` in `x` (dims values). */
  pathLength(x: ArrayLike<number>, offset = 0): number {
    const point = x instanceof Float64Array ? x : Float64Array.from({ length: this.dims }, (_, i) => x[offset + i] as number)
    return this.pathLengthAt(point, x instanceof Float64Array ? offset : 0)
  }

  // Monomorphic on Float64Array; one node read per step (see treePath).
  private pathLengthAt(x: Float64Array, offset: number): number {
    const roots = this.roots
    let total = 0
    for (let t = 0; t < roots.length; t++) total += this.treePath(x, offset, roots[t] as number)
    return total / roots.length
  }

  /**
   * Scores `count` rows of row-major `rows` (dims values each) into `out[0..count)`, equal to
   * score() for every row. Batches of BATCH_LAYOUT_MIN_ROWS rows or more walk the forest's
   * scoring layout (see ScoringLayout): tree by tree, so each tree's nodes stay in cache while
   * every row walks it, four rows at a time with no data-dependent branch in the walk, so the
   * CPU overlaps their chains of dependent loads. Each row's path lengths are added tree by
   * tree in the same order and with the same arithmetic as score(), so the results are equal
   * to the last bit.
   */
  scoreMany(rows: Float64Array, count: number, out: Float64Array): void {
    const layout = count >= BATCH_LAYOUT_MIN_ROWS ? this.scoringLayout() : undefined
    if (layout === undefined) {
      for (let p = 0; p < count; p++) out[p] = this.score(rows, p * this.dims)
      return
    }
    scoreLayoutRows(layout, rows, 0, count, out)
  }

  /**
   * The forest as complete binary trees for batch scoring, built on first use (undefined when
   * the trees are deeper than LAYOUT_MAX_HEIGHT). Each tree becomes 2^h − 1 internal slots
   * (slot s has children 2s + 1 and 2s + 2) and 2^h bottom slots, h the deepest leaf of the
   * forest. An internal slot holds the split feature, and the split value and the node's range
   * as doubles; a leaf above the bottom is padded down to it with slots whose range is
   * (−∞, ∞), so they change nothing, and whose bottom slots all hold the leaf's total. A
   * bottom slot holds depth + c(size) of the leaf the row ends in: every row takes exactly h
   * steps. The node's depth is its step, so the walk keeps no depth count.
   */
  scoringLayout(): ScoringLayout | undefined {
    if (this.layout !== null) return this.layout
    const f32 = this.nodesF32
    const i32 = this.nodesI32
    let height = 0
    const deepest = (root: number, node: number, depth: number): void => {
      const meta = i32[node * NODE_WORDS + 3] as number
      if ((meta & 0xffff) === 0) {
        height = Math.max(height, depth)
        return
      }
      deepest(root, node + 1, depth + 1)
      deepest(root, root + (meta >>> 16), depth + 1)
    }
    for (const root of this.roots) deepest(root, root, 0)
    if (height > LAYOUT_MAX_HEIGHT) {
      this.layout = undefined
      return undefined
    }
    const internal = (1 << height) - 1
    const trees = this.roots.length
    const feature = new Int32Array(trees * internal)
    const bounds = new Float64Array(trees * internal * 3)
    const leafTotal = new Float64Array(trees * (internal + 1))
    for (let t = 0; t < trees; t++) {
      const root = this.roots[t] as number
      const pad = (slot: number, depth: number, total: number): void => {
        if (depth === height) {
          leafTotal[t * (internal + 1) + slot - internal] = total
          return
        }
        const k = t * internal + slot
        bounds[k * 3] = Infinity
        bounds[k * 3 + 1] = -Infinity
        bounds[k * 3 + 2] = Infinity
        pad(2 * slot + 1, depth + 1, total)
        pad(2 * slot + 2, depth + 1, total)
      }
      const place = (node: number, slot: number, depth: number): void => {
        const base = node * NODE_WORDS
        const meta = i32[base + 3] as number
        if ((meta & 0xffff) === 0) {
          // treePath's depth + c(size), in the same double arithmetic.
          pad(slot, depth, depth + (f32[base] as number))
          return
        }
        const k = t * internal + slot
        feature[k] = (meta & 0xffff) - 1
        bounds[k * 3] = f32[base] as number
        bounds[k * 3 + 1] = f32[base + 1] as number
        bounds[k * 3 + 2] = f32[base + 2] as number
        place(node + 1, 2 * slot + 1, depth + 1)
        place(root + (meta >>> 16), 2 * slot + 2, depth + 1)
      }
      place(root, 0, 0)
    }
    this.layout = { height, internal, feature, bounds, leafTotal, dims: this.dims, trees, rangeAware: this.rangeAware, normalizer: this.normalizer }
    return this.layout
  }

  /** Path length (expected, when range-aware) of the row at `offset` in the tree at `root`. */
  private treePath(x: Float64Array, offset: number, root: number): number {
    const f32 = this.nodesF32
    const i32 = this.nodesI32
    let base = root * NODE_WORDS
    let depth = 0
    let expected = 0
    let alive = 1
    let meta = i32[base + 3] as number
    while ((meta & 0xffff) !== 0) {
      const v = x[offset + (meta & 0xffff) - 1] as number
      if (this.rangeAware) {
        const a = f32[base + 1] as number
        const b = f32[base + 2] as number
        if (v > b) {
          const r = (v - b) / (v - a)
          expected += alive * r * (depth + 1)
          alive *= 1 - r
        } else if (v < a) {
          const r = (a - v) / (b - v)
          expected += alive * r * (depth + 1)
          alive *= 1 - r
        }
      }
      base = v < (f32[base] as number) ? base + NODE_WORDS : (root + (meta >>> 16)) * NODE_WORDS
      depth++
      meta = i32[base + 3] as number
    }
    return expected + alive * (depth + (f32[base] as number))
  }

  /** Anomaly score in (0, 1]: near 1 isolated quickly (anomalous), about 0.5 or less ordinary. */
  score(x: ArrayLike<number>, offset = 0): number {
    const h = x instanceof Float64Array ? this.pathLengthAt(x, offset) : this.pathLength(x, offset)
    return 2 ** (-h / this.normalizer)
  }

  /** Scores every row of row-major `data`. */
  scoreAll(data: Float64Array): Float64Array {
    const n = Math.floor(data.length / this.dims)
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = this.score(data, i * this.dims)
    return out
  }

  /**
   * How much each feature took part in isolating `x`: every split on its path in every tree
   * credits its feature with 1 / (that tree's path length), so short paths weigh most.
   */
  featureContributions(x: ArrayLike<number>, offset = 0): Float64Array {
    const out = new Float64Array(this.dims)
    const f32 = this.nodesF32
    const i32 = this.nodesI32
    const path: number[] = []
    for (let t = 0; t < this.roots.length; t++) {
      const root = this.roots[t] as number
      let base = root * NODE_WORDS
      path.length = 0
      let meta = i32[base + 3] as number
      while ((meta & 0xffff) !== 0) {
        const f = (meta & 0xffff) - 1
        path.push(f)
        base = (x[offset + f] as number) < (f32[base] as number) ? base + NODE_WORDS : (root + (meta >>> 16)) * NODE_WORDS
        meta = i32[base + 3] as number
      }
      const h = path.length + (f32[base] as number)
      if (h > 0) for (const q of path) out[q] = (out[q] as number) + 1 / h
    }
    return out
  }

  /** The compact JSON form (base64 typed arrays). */
  toJSON(): IsolationForestJson {
    return {
      format: 'adwatch-iforest/2',
      dims: this.dims,
      trees: this.trees,
      sampleSize: this.sampleSize,
      seed: this.seed,
      rangeAware: this.rangeAware,
      roots: toBase64(this.roots),
      nodes: toBase64(this.nodesF32),
    }
  }

  /** Loads a forest saved by toJSON; throws ADW_DETECT_MODEL when it is malformed. */
  static fromJSON(json: IsolationForestJson): IsolationForest {
    if (json?.format !== 'adwatch-iforest/2') throw new DetectorModelError(`isolation forest: unknown format ${JSON.stringify(json?.format)}`)
    const roots = new Uint32Array(fromBase64(json.roots, 4))
    const nodes = new Float32Array(fromBase64(json.nodes, 4 * NODE_WORDS))
    const count = nodes.length / NODE_WORDS
    if (roots.length !== json.trees || count === 0 || !(json.dims >= 1)) throw new DetectorModelError('isolation forest: array lengths do not match the header')
    const meta = new Int32Array(nodes.buffer)
    for (const r of roots) if (r >= count) throw new DetectorModelError('isolation forest: a root points past the nodes')
    for (let k = 0; k < count; k++) {
      const m = meta[k * NODE_WORDS + 3] as number
      if ((m & 0xffff) > json.dims) throw new DetectorModelError('isolation forest: a split names a feature past dims')
    }
    return new IsolationForest(json.dims, json.sampleSize, json.seed, json.rangeAware === true, roots, nodes)
  }
}

/** Base64 of a typed array's bytes (the machine's byte order; every supported platform is little-endian). */
export function toBase64(a: ArrayBufferView): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')
}

/** The bytes of a base64 string as an ArrayBuffer, checked to be a whole number of elements. */
export function fromBase64(text: string, elementBytes: number): ArrayBuffer {
  const buf = Buffer.from(String(text), 'base64')
  if (buf.byteLength % elementBytes !== 0) throw new DetectorModelError(`model array of ${buf.byteLength} bytes is not a multiple of ${elementBytes}`)
  const out = new ArrayBuffer(buf.byteLength)
  new Uint8Array(out).set(buf)
  return out
}
