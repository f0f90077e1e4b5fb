/** Schedules a callback before the next paint; tests pass a manual one. */
export interface FrameScheduler {
  request(callback: () => void): number
  cancel(handle: number): void
}

/** requestAnimationFrame, which a hidden tab pauses (a hidden dashboard costs nothing). */
export const animationFrames: FrameScheduler = {
  request: (callback) => requestAnimationFrame(() => callback()),
  cancel: (handle) => cancelAnimationFrame(handle),
}

/** A scheduler whose frames run when the test says so. */
export class ManualFrames implements FrameScheduler {
  private next = 1
  private readonly pending = new Map<number, () => void>()

  request(callback: () => void): number {
    const handle = this.next++
    this.pending.set(handle, callback)
    return handle
  }

  cancel(handle: number): void {
    this.pending.delete(handle)
  }

  /** Frames requested and not yet run. */
  get waiting(): number {
    return this.pending.size
  }

  /** Runs the frames requested so far (not those they request). */
  runFrame(): void {
    const due = [...this.pending.values()]
    this.pending.clear()
    for (const cb of due) cb()
  }
}
