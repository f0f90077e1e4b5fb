import { parentPort, workerData } from 'node:worker_threads'
import { scoreLayoutRows, type ScoringLayout } from './forest-layout.ts'

/** What a ForestPool tells its scoring threads (forest-pool.ts). */
export type WorkerMessage =
  | { readonly type: 'layout'; readonly id: number; readonly layout: ScoringLayout }
  | { readonly type: 'forget'; readonly id: number }
  | { readonly type: 'buffers'; readonly rows: Float64Array; readonly out: Float64Array }
  | { readonly type: 'score'; readonly id: number; readonly from: number; readonly to: number }

/** What a scoring thread tells its pool. */
export type WorkerReply = { readonly type: 'ready' }

/**
 * A ForestPool's scoring thread: keeps the forest layouts it was sent, and scores the slices
 * of shared rows it is told to into the shared scores, then counts the slice as done in the
 * pool's shared counter and wakes the pool's thread.
 */
if (parentPort !== null) {
  const port = parentPort
  const done = (workerData as { done: Int32Array }).done
  const layouts = new Map<number, ScoringLayout>()
  let rows: Float64Array = new Float64Array(0)
  let out: Float64Array = new Float64Array(0)
  port.on('message', (m: WorkerMessage) => {
    switch (m.type) {
      case 'layout':
        layouts.set(m.id, m.layout)
        break
      case 'forget':
        layouts.delete(m.id)
        break
      case 'buffers':
        rows = m.rows
        out = m.out
        break
      case 'score': {
        const layout = layouts.get(m.id)
        // The pool registers a layout before its first slice, so this cannot miss; if it
        // did, the pool's wait times out and it scores the batch itself.
        if (layout === undefined) throw new Error(`scoring thread: no forest layout ${m.id}`)
        scoreLayoutRows(layout, rows, m.from, m.to, out)
        Atomics.add(done, 0, 1)
        Atomics.notify(done, 0)
        break
      }
    }
  })
  port.postMessage({ type: 'ready' } satisfies WorkerReply)
}
