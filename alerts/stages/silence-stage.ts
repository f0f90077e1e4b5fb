import { matchLabels, type Alert } from '../alert.ts'
import { activeSilenceFor } from '../silence.ts'
import type { AlertStage, StageContext } from './stage.ts'

/**
 * Mutes what an active silence matches (silences expire by themselves at their end), and
 * firing alerts whose current episode was acknowledged. Muting stops notifications only:
 * evaluation and history go on. A muted firing alert is announced once the silence ends if
 * it still fires; the resolve of an announced alert is held while a silence matches it and
 * sent when the silence ends, so incidents opened before the silence still close. An
 * acknowledgement never holds a resolve. Pure.
 */
export class SilenceStage implements AlertStage {
  readonly name = 'silence'

  async run(ctx: StageContext, alerts: readonly Alert[]): Promise<readonly Alert[]> {
    return alerts.filter((a) => {
      if (a.status === 'firing') {
        const ack = ctx.state.ack(a.fingerprint)
        if (ack !== undefined && ack.startsAtMs === a.startsAtMs) return false
      }
      return activeSilenceFor(matchLabels(a), ctx.silences, ctx.nowMs) === undefined
    })
  }
}
