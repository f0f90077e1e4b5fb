import { isFiringAnnounced, type Alert } from '../alert.ts'
import type { AlertStage, StageContext } from './stage.ts'

/**
 * Keeps only alerts with something new to say, each marked with why: a firing episode not
 * yet announced (`new`), the resolve of an announced episode (`resolved`), or a firing
 * alert whose last announcement is at least `repeat_interval` old (`repeat`). Pending
 * alerts, known episodes and resolves of never-announced alerts are dropped. Pure.
 */
export class DedupStage implements AlertStage {
  readonly name = 'dedup'

  async run(ctx: StageContext, alerts: readonly Alert[]): Promise<readonly Alert[]> {
    const out: Alert[] = []
    for (const a of alerts) {
      const reason = needsNotification(a, ctx.nowMs, ctx.routing.timings.repeatIntervalMs)
      if (reason !== undefined) out.push({ ...a, reason })
    }
    return out
  }
}

/** Why the alert needs a notification at `nowMs`, or undefined when it does not. */
export function needsNotification(a: Alert, nowMs: number, repeatIntervalMs: number): Alert['reason'] {
  if (a.status === 'pending') return undefined
  const announcedThisEpisode = isFiringAnnounced(a)
  if (a.status === 'resolved') return announcedThisEpisode && a.announced?.status === 'firing' ? 'resolved' : undefined
  if (!announcedThisEpisode || a.announced?.status !== 'firing') return 'new'
  return nowMs - (a.announced?.atMs ?? nowMs) >= repeatIntervalMs ? 'repeat' : undefined
}
