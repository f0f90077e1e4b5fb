import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import { animationFrames } from '../live/frame-scheduler.ts'
import { FrameRedrawer } from './frame-redrawer.ts'

/** A data source a chart follows: columnar data and a version bumped on every change. */
export interface ChartSource {
  readonly version: number
  data(): uPlot.AlignedData
  /** Called on change; returns an unsubscribe function. */
  subscribe(listener: () => void): () => void
}

export interface UPlotChartProps {
  readonly source: ChartSource
  /** Options without width and height (the chart fills its box). */
  readonly options: Omit<uPlot.Options, 'width' | 'height'>
  readonly height: number
  /** Accessible name of the chart (a canvas has none by itself). */
  readonly label: string
  readonly testId?: string
}

/**
 * A uPlot chart that follows its source: data changes mark it dirty and it redraws at most
 * once per animation frame (FrameRedrawer), with `setData` on the source's columnar arrays
 * (no copy). It resizes with its box. The last point is mirrored in data attributes, so
 * browser tests can read what is drawn.
 */
export function UPlotChart({ source, options, height, label, testId }: UPlotChartProps) {
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const el = box.current
    if (el === null) return
    const plot = new uPlot({ ...options, width: Math.max(200, el.clientWidth), height }, source.data(), el)
    let drawn = source.version
    const mirror = () => {
      const d = source.data()
      const xs = d[0]
      const n = xs.length
      el.dataset.points = String(n)
      el.dataset.lastX = n > 0 ? String(xs[n - 1]) : ''
      el.dataset.lastY = n > 0 && d[1] !== undefined ? String(d[1][n - 1] ?? '') : ''
      el.dataset.version = String(drawn)
    }
    mirror()
    const redrawer = new FrameRedrawer(animationFrames, () => {
      if (source.version === drawn) {
        plot.redraw(false, false) // bands may have changed
        return
      }
      drawn = source.version
      plot.setData(source.data())
      mirror()
    })
    const unsubscribe = source.subscribe(() => redrawer.invalidate())
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }))
    resize.observe(el)
    return () => {
      unsubscribe()
      redrawer.dispose()
      resize.disconnect()
      plot.destroy()
    }
  }, [source, options, height])
  return <div ref={box} className="chart" role="img" aria-label={label} data-testid={testId} />
}
