/** Durations of routing configs: "250ms", "30s", "5m", "4h", "1d", or combinations "1h30m". */
export const DURATION_PATTERN = '^(?:\\d+d)?(?:\\d+h)?(?:\\d+m)?(?:\\d+s)?(?:\\d+ms)?$'

/** Milliseconds of a duration such as "1h30m" or "250ms"; undefined when malformed or empty. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(text)
  if (m === null || text === '') return undefined
  const [, d, h, mi, s, ms] = m
  return (((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60 + Number(s ?? 0)) * 1000 + Number(ms ?? 0)
}

/** A compact duration for messages: "250ms", "30s", "5m", "4h", "1h30m". */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const parts: string[] = []
  let s = Math.round(ms / 1000)
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`)
      s %= size
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`)
  return parts.join('')
}
