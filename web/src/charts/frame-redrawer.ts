import type { FrameScheduler } from '../live/frame-scheduler.ts'

/**
 * Redraws at most once per animation frame however often data changes: `invalidate()` marks
 * the chart dirty and asks for one frame; the frame draws once. A hidden tab gets no frames,
 * so it does no drawing at all.
 */
export class FrameRedrawer {
  private handle: number | undefined
  invalidations = 0
  draws = 0

  constructor(private readonly frames: FrameScheduler, private readonly draw: () => void) {}

  invalidate(): void {
    this.invalidations++
    if (this.handle !== undefined) return
    this.handle = this.frames.request(() => {
      this.handle = undefined
      this.draws++
      this.draw()
    })
  }

  dispose(): void {
    if (this.handle !== undefined) this.frames.cancel(this.handle)
    this.handle = undefined
  }
}
