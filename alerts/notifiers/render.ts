import type { Notification, NotifiedAlert } from './notifier.ts'

/**
 * Cuts text to at most `max` UTF-16 units (how Slack and PagerDuty count), ending with "…"
 * when it was cut, never splitting a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  let cut = Math.max(0, max - 1)
  const last = text.charCodeAt(cut - 1)
  if (last >= 0xd800 && last <= 0xdbff) cut--
  return text.slice(0, cut) + '…'
}

/** The one-line summary of an alert: its `summary` annotation, or rule and entity. */
export function summaryOf(a: NotifiedAlert): string {
  return a.annotations.summary ?? `${a.sourceId} on ${a.level} ${a.entity}`
}

/** "firing" when any alert of the notification fires, else "resolved". */
export function statusOf(n: Notification): 'firing' | 'resolved' {
  return n.alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved'
}

/** The facts as "cpc_15m = 3.42, clicks_15m = 61" (rounded for reading). */
export function formatValues(values: Readonly<Record<string, number | string | null>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? formatNumber(v) : v === null ? 'null' : v}`)
    .join(', ')
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v)
  return String(Math.round(v * 1000) / 1000)
}

/** Link to the alert on the dashboard, when a dashboard URL is configured. */
export function alertLink(dashboardUrl: string | undefined, a: NotifiedAlert): string | undefined {
  if (dashboardUrl === undefined) return undefined
  return `${dashboardUrl.replace(/\/+$/, '')}/alerts/${encodeURIComponent(a.fingerprint)}?tenant=${encodeURIComponent(a.labels.tenant ?? '')}`
}

/** Labels every alert of the notification shares. */
export function commonLabels(alerts: readonly NotifiedAlert[]): Record<string, string> {
  const [first, ...rest] = alerts
  if (first === undefined) return {}
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(first.labels)) if (rest.every((a) => a.labels[k] === v)) out[k] = v
  return out
}

/** ISO-8601 UTC of epoch milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString()
}
