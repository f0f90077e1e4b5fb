import { Worker } from 'node:worker_threads'
import { scoreLayoutRows, type ScoringLayout } from './forest-layout.ts'
import type { IsolationForest } from './isolation-forest.ts'
import type { WorkerMessage, WorkerReply } from './forest-worker.ts'

/** Scores a batch of rows with a forest (IsolationForest.scoreMany's contract). */
export interface ForestBatchScorer {
  scoreMany(forest: IsolationForest, rows: Float64Array, count: number, out: Float64Array): void
}

/** Scoring on the calling thread only. */
export const SERIAL_SCORER: ForestBatchScorer = {
  scoreMany: (forest, rows, count, out) => forest.scoreMany(rows, count, out),
}

/** Batches smaller than this are scored on the calling thread: a handoff costs more than it saves. */
const PARALLEL_MIN_ROWS = 1_024
/** A scoring thread that has not finished its slice by then is given up on (its slice is scored here). */
const SLICE_TIMEOUT_MS = 2_000

export interface ForestPoolOptions {
  /** Called once when the pool stops using its threads (a thread failed or timed out); scoring goes on, serially. */
  readonly onDegraded?: (reason: string) => void
}

/**
 * Scores large batches on this thread and `threads` worker threads at once, each walking a
 * slice of the rows through the same forest layout (forest-layout.ts): the scores are the
 * same bits as IsolationForest.scoreMany's, in about 1/(threads + 1) of the time when cores
 * are free. The call stays synchronous: rows go into shared memory, the workers are told
 * their slices, this thread scores its own and then waits (Atomics.wait) for theirs. A
 * forest's layout is copied to each worker once, when first used, and dropped when the forest
 * is garbage. Until every worker has started, and after any worker fails or misses the slice
 * timeout, batches are scored on this thread alone (reported once through onDegraded).
 */
export class ForestPool implements ForestBatchScorer {
  private readonly workers: Worker[] = []
  private ready = 0
  private degraded = false
  private closed = false
  private readonly layoutIds = new WeakMap<ScoringLayout, number>()
  private readonly forget = new FinalizationRegistry<number>((id) => this.post({ type: 'forget', id }))
  private nextId = 1
  private rows: Float64Array = new Float64Array(0)
  private out: Float64Array = new Float64Array(0)
  /** [0]: slices finished in the current batch. */
  private readonly done = new Int32Array(new SharedArrayBuffer(4))
  private readonly started: Promise<void>
  private startedOrGaveUp: () => void = () => undefined

  constructor(
    readonly threads: number,
    private readonly opts: ForestPoolOptions = {},
  ) {
    this.started = new Promise((resolve) => (this.startedOrGaveUp = resolve))
    if (threads === 0) this.startedOrGaveUp()
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./forest-worker.mjs', import.meta.url), { workerData: { done: this.done } })
      w.on('message', (m: WorkerReply) => {
        if (m.type !== 'ready') return
        // Started: from now on the thread does not keep the process alive by itself.
        w.unref()
        if (++this.ready === threads) this.startedOrGaveUp()
      })
      w.on('error', (err) => this.degrade(`a scoring thread failed: ${err.message}`))
      w.on('exit', (code) => {
        if (!this.closed) this.degrade(`a scoring thread exited (code ${code})`)
      })
      this.workers.push(w)
    }
  }

  /** Resolves once every thread has started (batches are split from then on), or the pool gave up on them. */
  whenStarted(): Promise<void> {
    return this.started
  }

  /** Whether batches are currently split across the threads. */
  get parallel(): boolean {
    return !this.degraded && !this.closed && this.threads > 0 && this.ready === this.threads
  }

  scoreMany(forest: IsolationForest, rows: Float64Array, count: number, out: Float64Array): void {
    const layout = count >= PARALLEL_MIN_ROWS && this.parallel ? forest.scoringLayout() : undefined
    if (layout === undefined) {
      forest.scoreMany(rows, count, out)
      return
    }
    const id = this.register(layout)
    this.ensure(count * layout.dims, count)
    this.rows.set(rows.subarray(0, count * layout.dims))
    // Slices of whole groups of four rows (the walk's stride); this thread takes the first.
    const parts = this.threads + 1
    const size = Math.ceil(count / parts / 4) * 4
    Atomics.store(this.done, 0, 0)
    let posted = 0
    for (let i = 1; i < parts; i++) {
      const from = Math.min(count, i * size)
      const to = Math.min(count, from + size)
      if (from === to) continue
      ;(this.workers[i - 1] as Worker).postMessage({ type: 'score', id, from, to } satisfies WorkerMessage)
      posted++
    }
    const mine = Math.min(count, size)
    scoreLayoutRows(layout, this.rows, 0, mine, this.out)
    const deadline = performance.now() + SLICE_TIMEOUT_MS
    for (;;) {
      const finished = Atomics.load(this.done, 0)
      if (finished >= posted) break
      const left = deadline - performance.now()
      if (left <= 0) {
        this.degrade(`a scoring thread did not finish its slice within ${SLICE_TIMEOUT_MS} ms`)
        // Its slice may never come (and must not land later): score everything here.
        forest.scoreMany(rows, count, out)
        return
      }
      Atomics.wait(this.done, 0, finished, left)
    }
    out.set(this.out.subarray(0, count))
  }

  /** Stops the threads (batches are then scored on the calling thread). */
  async close(): Promise<void> {
    this.closed = true
    this.startedOrGaveUp()
    await Promise.all(this.workers.map((w) => w.terminate()))
  }

  private register(layout: ScoringLayout): number {
    let id = this.layoutIds.get(layout)
    if (id !== undefined) return id
    id = this.nextId++
    this.layoutIds.set(layout, id)
    this.forget.register(layout, id)
    // Structured clone copies the layout's arrays into each worker: once per forest.
    this.post({ type: 'layout', id, layout })
    return id
  }

  /** Shared row and score buffers of at least these sizes, sent to the workers when replaced. */
  private ensure(values: number, count: number): void {
    if (this.rows.length >= values && this.out.length >= count) return
    this.rows = new Float64Array(new SharedArrayBuffer(Math.max(values, 2 * this.rows.length) * 8))
    this.out = new Float64Array(new SharedArrayBuffer(Math.max(count, 2 * this.out.length) * 8))
    this.post({ type: 'buffers', rows: this.rows, out: this.out })
  }

  private post(m: WorkerMessage): void {
    if (this.closed) return
    for (const w of this.workers) w.postMessage(m)
  }

  private degrade(reason: string): void {
    if (this.degraded || this.closed) return
    this.degraded = true
    this.startedOrGaveUp()
    this.opts.onDegraded?.(reason)
    for (const w of this.workers) void w.terminate()
  }
}
