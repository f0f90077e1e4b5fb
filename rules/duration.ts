import { parseDurationMs } from '../alerts/duration.ts'

/**
 * Parses durations like "90s", "5m", "1h30m", "2d" into milliseconds; undefined if malformed.
 * Rules count in whole seconds: the alerts' duration grammar without its "ms" part.
 */
export function parseDuration(text: string): number | undefined {
  return text.endsWith('ms') ? undefined : parseDurationMs(text)
}
