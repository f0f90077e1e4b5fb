import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Secret } from '../../core/config.ts'
import { expectSuccess } from './http.ts'
import type { Notification, Notifier, NotifierFactory, SecretRef } from './notifier.ts'
import { checkReceiverUrl, COMMON_OPTIONS, parallelismOf, rateLimitOf, resolveSecret, SECRET_REF_SCHEMA, validateOptions } from './options.ts'
import { alertLink, commonLabels, iso, statusOf } from './render.ts'

/** Header with the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'x-adwatch-signature'
/** Header with the notification id, the same on every retry (for idempotent receivers). */
export const NOTIFICATION_ID_HEADER = 'x-adwatch-notification-id'

const OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type', 'url', 'signing_secret'],
  properties: {
    ...COMMON_OPTIONS,
    url: { anyOf: [{ type: 'string', maxLength: 2048 }, SECRET_REF_SCHEMA] },
    signing_secret: SECRET_REF_SCHEMA,
  },
} as const

interface WebhookOptions {
  readonly url: string | SecretRef
  readonly signing_secret: SecretRef
}

/**
 * A generic webhook: the notification as JSON, signed with HMAC-SHA256 over the timestamp and
 * the body (`X-Adwatch-Signature: t=…,v1=…`, as Stripe signs), so a receiver can check it
 * came from adwatch and is fresh. The URL may itself be a secret.
 */
export const createWebhookNotifier: NotifierFactory = (receiver, ctx) => {
  const o = validateOptions<WebhookOptions>(OPTIONS_SCHEMA, receiver, ctx)
  const url = typeof o.url === 'string' ? o.url : resolveSecret(o.url, ctx, 'url').reveal()
  if (typeof o.url === 'string' || ctx.secrets !== 'validate-only') checkReceiverUrl(url, ctx, 'url', typeof o.url === 'string' ? url : `secret "${o.url.secret}"`)
  const key = resolveSecret(o.signing_secret, ctx, 'signing_secret')
  const redact = (t: string) => (ctx.secrets === 'validate-only' ? t : ctx.secrets.redact(t))
  return {
    receiver: receiver.name,
    type: 'webhook',
    granularity: 'group',
    rateLimit: rateLimitOf(receiver, url, undefined),
    parallelism: parallelismOf(receiver, 4),
    async send(n, signal) {
      const body = JSON.stringify(buildWebhookBody(n, ctx.dashboardUrl))
      const headers = { [SIGNATURE_HEADER]: signWebhookBody(key, body, Math.floor(ctx.now() / 1000)), [NOTIFICATION_ID_HEADER]: n.id }
      const res = await ctx.http.post(url, body, headers, signal)
      expectSuccess(res, `webhook of receiver "${receiver.name}"`, ctx.now(), redact)
    },
  } satisfies Notifier
}

/** The JSON body of a webhook notification (pure). */
export function buildWebhookBody(n: Notification, dashboardUrl: string | undefined): object {
  return {
    version: '1',
    id: n.id,
    tenant: n.tenant,
    receiver: n.receiver,
    status: statusOf(n),
    groupKey: n.groupKey,
    groupLabels: n.groupLabels,
    commonLabels: commonLabels(n.alerts),
    alerts: n.alerts.map((a) => ({
      status: a.status,
      reason: a.reason,
      fingerprint: a.fingerprint,
      source: a.source,
      sourceId: a.sourceId,
      sourceVersion: a.sourceVersion,
      severity: a.severity,
      level: a.level,
      entity: a.entity,
      account: a.account,
      campaign: a.campaign,
      labels: a.labels,
      annotations: a.annotations,
      values: a.values,
      explanation: a.explanation,
      startsAt: iso(a.startsAtMs),
      endsAt: a.endsAtMs === undefined ? null : iso(a.endsAtMs),
      decidedAt: iso(a.updatedAtMs),
      url: alertLink(dashboardUrl, a) ?? null,
    })),
  }
}

/** The signature header value for a body sent at `unixSec`. */
export function signWebhookBody(secret: Secret, body: string, unixSec: number): string {
  const mac = createHmac('sha256', secret.reveal()).update(`${unixSec}.${body}`).digest('hex')
  return `t=${unixSec},v1=${mac}`
}

/**
 * Checks a signature header as a receiver should: a valid HMAC of "<t>.<body>" (compared in
 * constant time) with `t` within `toleranceSec` of now. For receivers written in TypeScript.
 */
export function verifyWebhookSignature(header: string | undefined, body: string, secret: Secret, nowSec: number, toleranceSec = 300): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '')
  if (m === null) return false
  const t = Number(m[1])
  if (Math.abs(nowSec - t) > toleranceSec) return false
  const expected = Buffer.from(createHmac('sha256', secret.reveal()).update(`${t}.${body}`).digest('hex'))
  const given = Buffer.from(m[2] ?? '')
  return expected.length === given.length && timingSafeEqual(expected, given)
}
