/**
 * Checks a PagerDuty Events API v2 event against its documented shape
 * (https://developer.pagerduty.com/docs/send-alert-event, .../events-api-v2/overview):
 * returns every problem as "path: what", empty when the event is valid.
 */
export function validatePagerDutyEvent(event: unknown): string[] {
  if (!isObject(event)) return ['$: must be an object']
  const p: string[] = []
  const known = new Set(['routing_key', 'event_action', 'dedup_key', 'payload', 'images', 'links', 'client', 'client_url'])
  for (const k of Object.keys(event)) if (!known.has(k)) p.push(`$.${k}: not a field of an Events API v2 event`)
  if (typeof event.routing_key !== 'string' || event.routing_key.length !== 32) p.push('$.routing_key: the 32-character integration key is required')
  if (!['trigger', 'acknowledge', 'resolve'].includes(String(event.event_action))) p.push('$.event_action: trigger, acknowledge or resolve')
  if (event.dedup_key !== undefined && (typeof event.dedup_key !== 'string' || event.dedup_key.length === 0 || event.dedup_key.length > 255)) p.push('$.dedup_key: a string of 1 to 255 characters')
  if (event.event_action !== 'trigger') {
    if (event.dedup_key === undefined) p.push('$.dedup_key: required to acknowledge or resolve')
    return p
  }
  if (!isObject(event.payload)) return [...p, '$.payload: required to trigger']
  const pl = event.payload
  const knownPayload = new Set(['summary', 'source', 'severity', 'timestamp', 'component', 'group', 'class', 'custom_details'])
  for (const k of Object.keys(pl)) if (!knownPayload.has(k)) p.push(`$.payload.${k}: not a field of the payload`)
  if (typeof pl.summary !== 'string' || pl.summary === '' || pl.summary.length > 1024) p.push('$.payload.summary: required, at most 1024 characters')
  if (typeof pl.source !== 'string' || pl.source === '') p.push('$.payload.source: required')
  if (!['critical', 'error', 'warning', 'info'].includes(String(pl.severity))) p.push('$.payload.severity: critical, error, warning or info')
  if (pl.timestamp !== undefined && (typeof pl.timestamp !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(pl.timestamp))) p.push('$.payload.timestamp: an ISO 8601 date-time')
  for (const k of ['component', 'group', 'class'] as const) if (pl[k] !== undefined && typeof pl[k] !== 'string') p.push(`$.payload.${k}: must be a string`)
  if (pl.custom_details !== undefined && !isObject(pl.custom_details)) p.push('$.payload.custom_details: must be an object')
  if (event.links !== undefined) {
    if (!Array.isArray(event.links)) p.push('$.links: must be an array')
    else event.links.forEach((l, i) => {
      if (!isObject(l) || typeof l.href !== 'string') p.push(`$.links[${i}].href: required`)
      else if (l.text !== undefined && typeof l.text !== 'string') p.push(`$.links[${i}].text: must be a string`)
    })
  }
  if (event.images !== undefined) {
    if (!Array.isArray(event.images)) p.push('$.images: must be an array')
    else event.images.forEach((im, i) => {
      if (!isObject(im) || typeof im.src !== 'string' || !im.src.startsWith('https://')) p.push(`$.images[${i}].src: an https URL is required`)
    })
  }
  if (event.client !== undefined && typeof event.client !== 'string') p.push('$.client: must be a string')
  if (event.client_url !== undefined && typeof event.client_url !== 'string') p.push('$.client_url: must be a string')
  if (Buffer.byteLength(JSON.stringify(event)) > 512 * 1024) p.push('$: an event is at most 512 KB')
  return p
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
