import { Secret } from '../../core/config.ts'
import { expectSuccess } from './http.ts'
import type { NotifiedAlert, Notifier, NotifierFactory, SecretRef } from './notifier.ts'
import { checkReceiverUrl, COMMON_OPTIONS, parallelismOf, rateLimitOf, resolveSecret, SECRET_REF_SCHEMA, validateOptions } from './options.ts'
import { alertLink, iso, summaryOf, truncate } from './render.ts'

/** PagerDuty's Events API v2 endpoint. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue'
/** Longest `payload.summary` PagerDuty accepts. */
export const PAGERDUTY_SUMMARY_CHARS = 1024

const OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type', 'routing_key'],
  properties: {
    ...COMMON_OPTIONS,
    routing_key: SECRET_REF_SCHEMA,
    url: { type: 'string', maxLength: 2048 },
    source: { type: 'string', minLength: 1, maxLength: 255 },
  },
} as const

interface PagerDutyOptions {
  readonly routing_key: SecretRef
  readonly url?: string
  readonly source?: string
}

/**
 * PagerDuty Events API v2: a `trigger` per firing alert and a `resolve` when it clears, with
 * the fingerprint as `dedup_key` (so PagerDuty folds repeats into one incident), severity
 * as PagerDuty's critical / error / warning / info, and the facts in `custom_details`. One
 * event per notification (granularity `alert`). PagerDuty answers 429 above about 120 events
 * a minute per routing key: the default rate limit stays under it.
 */
export const createPagerDutyNotifier: NotifierFactory = (receiver, ctx) => {
  const o = validateOptions<PagerDutyOptions>(OPTIONS_SCHEMA, receiver, ctx)
  const url = o.url ?? PAGERDUTY_EVENTS_URL
  checkReceiverUrl(url, ctx, 'url')
  const key = resolveSecret(o.routing_key, ctx, 'routing_key')
  const redact = (t: string) => (ctx.secrets === 'validate-only' ? t : ctx.secrets.redact(t))
  return {
    receiver: receiver.name,
    type: 'pagerduty',
    granularity: 'alert',
    rateLimit: rateLimitOf(receiver, key.reveal(), { perSecond: 2, burst: 2 }),
    parallelism: parallelismOf(receiver, 1),
    async send(n, signal) {
      for (const a of n.alerts) {
        const body = JSON.stringify(buildPagerDutyEvent(a, key, { source: o.source, dashboardUrl: ctx.dashboardUrl, tenant: n.tenant }))
        const res = await ctx.http.post(url, body, {}, signal)
        expectSuccess(res, `PagerDuty (receiver "${receiver.name}")`, ctx.now(), redact)
      }
    },
  } satisfies Notifier
}

/** One Events API v2 event: `resolve` for a resolved alert, else `trigger` (pure). */
export function buildPagerDutyEvent(a: NotifiedAlert, routingKey: Secret, o: { source?: string; dashboardUrl: string | undefined; tenant: string }): object {
  if (a.status === 'resolved') return { routing_key: routingKey.reveal(), event_action: 'resolve', dedup_key: a.fingerprint }
  const link = alertLink(o.dashboardUrl, a)
  return {
    routing_key: routingKey.reveal(),
    event_action: 'trigger',
    dedup_key: a.fingerprint,
    payload: {
      summary: truncate(summaryOf(a), PAGERDUTY_SUMMARY_CHARS),
      source: truncate(o.source ?? `adwatch/${o.tenant}/${a.level}/${a.entity}`, 255),
      severity: a.severity,
      timestamp: iso(a.startsAtMs),
      component: `${a.level} ${a.entity}`,
      group: a.account,
      class: a.sourceId,
      custom_details: {
        tenant: o.tenant,
        [a.source]: a.sourceId,
        version: a.sourceVersion,
        level: a.level,
        entity: a.entity,
        account: a.account,
        campaign: a.campaign,
        conditions: a.explanation,
        values: a.values,
        labels: a.labels,
        annotations: a.annotations,
        fingerprint: a.fingerprint,
        started_at: iso(a.startsAtMs),
      },
    },
    ...(link === undefined ? {} : { links: [{ href: link, text: 'Open in adwatch' }] }),
    client: 'adwatch',
    ...(o.dashboardUrl === undefined ? {} : { client_url: o.dashboardUrl }),
  }
}
