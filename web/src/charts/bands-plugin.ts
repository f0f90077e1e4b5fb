import type uPlot from 'uplot'

/** A time interval shaded behind the series (an alert that was pending or firing). */
export interface TimeBand {
  readonly fromSec: number
  readonly toSec: number
  readonly kind: 'pending' | 'firing' | 'resolved'
}

/** Detector scores on the chart's time axis (0–1 per bucket). */
export interface ScoreBand {
  readonly timesSec: ArrayLike<number>
  readonly scores: ArrayLike<number>
}

/** What the bands plugin draws; read at every redraw. */
export interface BandSource {
  alerts(): readonly TimeBand[]
  scores(): ScoreBand | undefined
}

const FILL: Record<TimeBand['kind'], string> = {
  pending: 'rgba(234, 160, 0, 0.16)',
  firing: 'rgba(220, 38, 38, 0.18)',
  resolved: 'rgba(220, 38, 38, 0.08)',
}
const SCORE_STRIP_PX = 10

/**
 * A uPlot plugin drawing alert intervals as shaded columns behind the series, and detector
 * scores as a strip along the bottom of the plot whose opacity is the score (0–1), both on
 * the chart's own time axis.
 */
export function bandsPlugin(source: BandSource): uPlot.Plugin {
  return {
    hooks: {
      drawClear: [
        (u: uPlot) => {
          const { ctx } = u
          const { left, top, width, height } = u.bbox
          ctx.save()
          ctx.beginPath()
          ctx.rect(left, top, width, height)
          ctx.clip()
          for (const b of source.alerts()) {
            const x0 = u.valToPos(b.fromSec, 'x', true)
            const x1 = u.valToPos(b.toSec, 'x', true)
            if (x1 < left || x0 > left + width) continue
            ctx.fillStyle = FILL[b.kind]
            ctx.fillRect(x0, top, Math.max(2, x1 - x0), height)
          }
          const s = source.scores()
          let drawn = 0
          if (s !== undefined && s.timesSec.length > 0) {
            const strip = SCORE_STRIP_PX * devicePixelRatio
            const stepSec = s.timesSec.length > 1 ? s.timesSec[1]! - s.timesSec[0]! : 60
            for (let i = 0; i < s.timesSec.length; i++) {
              const score = s.scores[i]!
              if (!(score > 0)) continue
              const x0 = u.valToPos(s.timesSec[i]!, 'x', true)
              const x1 = u.valToPos(s.timesSec[i]! + stepSec, 'x', true)
              ctx.fillStyle = `rgba(124, 58, 237, ${Math.min(1, score).toFixed(3)})`
              ctx.fillRect(x0, top + height - strip, Math.max(1, x1 - x0), strip)
              drawn++
            }
          }
          // Minutes with a score band drawn (the browser test reads it, as data-points).
          u.root.dataset.scoreBand = String(drawn)
          ctx.restore()
        },
      ],
    },
  }
}
