/**
 * Long computations on the main thread, cut into slices: a job is a generator that `yield`s
 * often (every few hundred units of work); `runSliced` runs it for at most `budgetMs` per task
 * and continues in a new task, so input, animation frames and socket messages run in between
 * and no task grows long however big the job. `runToEnd` runs one at once (tests, small inputs).
 */
export type SlicedJob<T> = Generator<void, T, void>

/** How slices are timed and scheduled; tests pass a fake. */
export interface SliceScheduler {
  now(): number
  /** Runs `callback` in a later task. Returns a cancel function. */
  later(callback: () => void): () => void
}

/** Callbacks waiting for the shared channel's next message (one channel for every job). */
let channel: MessageChannel | undefined
const queued: Array<() => void> = []

/** A message-channel task (not clamped like nested `setTimeout(0)`), timed with performance.now. */
export const browserSlices: SliceScheduler = {
  now: () => performance.now(),
  later(callback) {
    if (channel === undefined) {
      channel = new MessageChannel()
      channel.port1.onmessage = () => queued.shift()?.()
    }
    let cancelled = false
    queued.push(() => {
      if (!cancelled) callback()
    })
    channel.port2.postMessage(null)
    return () => {
      cancelled = true
    }
  },
}

/** A running sliced job. */
export interface SlicedRun {
  /** Stops it; `onDone` is not called. */
  cancel(): void
  /** Tasks used so far. */
  readonly slices: number
  /** False once it finished or was cancelled (the first slice runs in the caller: it may finish there). */
  readonly running: boolean
}

/** Runs `job` in slices of at most `budgetMs` (a slice ends at the first yield past the budget) and hands its result to `onDone`. */
export function runSliced<T>(job: SlicedJob<T>, onDone: (result: T) => void, budgetMs = 4, scheduler: SliceScheduler = browserSlices): SlicedRun {
  let cancelLater: (() => void) | undefined
  let stopped = false
  const run: SlicedRun = {
    slices: 0,
    get running() {
      return !stopped
    },
    cancel() {
      stopped = true
      cancelLater?.()
      cancelLater = undefined
    },
  }
  const slice = () => {
    cancelLater = undefined
    if (stopped) return
    ;(run as { slices: number }).slices++
    const until = scheduler.now() + budgetMs
    for (;;) {
      const step = job.next()
      if (step.done === true) {
        stopped = true
        onDone(step.value)
        return
      }
      if (scheduler.now() >= until) break
    }
    cancelLater = scheduler.later(slice)
  }
  slice()
  return run
}

/** Runs a job to its end at once. */
export function runToEnd<T>(job: SlicedJob<T>): T {
  for (;;) {
    const step = job.next()
    if (step.done === true) return step.value
  }
}
