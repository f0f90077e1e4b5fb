import type { MetricSums } from '../stream/fold.ts'
import type { EntityWindows } from '../stream/live-windows.ts'
import { ratio } from '../rules/compute-facts.ts'
import type { WindowMetrics, WindowsDto } from './api-types.ts'


/** One window's sums with CTR, CPC, CPM, CPA and ROAS; money stays in micros. Pure. */
export function toWindowMetrics(s: Readonly<MetricSums>): WindowMetrics {
  const [impressions, clicks, spendMicros, conversions, revenueMicros] = s
  const cpm = ratio(spendMicros, impressions)
  return {
    impressions,
    clicks,
    spendMicros,
    conversions,
    revenueMicros,
    ctr: ratio(clicks, impressions),
    cpcMicros: ratio(spendMicros, clicks),
    cpmMicros: cpm === null ? null : cpm * 1000,
    cpaMicros: ratio(spendMicros, conversions),
    roas: ratio(revenueMicros, spendMicros),
  }
}

/** Every window of an entity as the API shows it. */
export function toWindowsDto(w: EntityWindows): WindowsDto {
  return {
    '1m': toWindowMetrics(w['1m']),
    '5m': toWindowMetrics(w['5m']),
    '15m': toWindowMetrics(w['15m']),
    '1h': toWindowMetrics(w['1h']),
    today: toWindowMetrics(w.today),
  }
}
