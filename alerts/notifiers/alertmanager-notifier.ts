import { DURATION_PATTERN, parseDurationMs } from '../duration.ts'
import { expectSuccess } from './http.ts'
import type { Notification, NotifiedAlert, Notifier, NotifierFactory, SecretRef } from './notifier.ts'
import { checkReceiverUrl, COMMON_OPTIONS, parallelismOf, rateLimitOf, resolveSecret, SECRET_REF_SCHEMA, validateOptions } from './options.ts'
import { alertLink, formatValues, iso, summaryOf } from './render.ts'

/**
 * How long Alertmanager keeps a firing alert without hearing of it again. Alertmanager
 * resolves an alert by itself once its `endsAt` passes, so firing alerts carry
 * `endsAt = now + alert_ttl`; it must exceed the repeat interval (repeats refresh it).
 */
export const DEFAULT_ALERT_TTL = '25h'

const OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type'],
  properties: {
    ...COMMON_OPTIONS,
    url: { type: 'string', maxLength: 2048 },
    alert_ttl: { type: 'string', pattern: DURATION_PATTERN },
    basic_auth: {
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password'],
      properties: { username: { type: 'string', minLength: 1, maxLength: 255 }, password: SECRET_REF_SCHEMA },
    },
  },
} as const

interface AlertmanagerOptions {
  readonly url?: string
  readonly alert_ttl?: string
  readonly basic_auth?: { readonly username: string; readonly password: SecretRef }
}

/**
 * Prometheus Alertmanager API v2: `POST <url>/api/v2/alerts` with labels (alertname = the
 * rule or detector, severity, tenant, level, entity, account and the rule's labels),
 * annotations (summary, conditions, values, fingerprint), startsAt / endsAt and generatorURL.
 * The URL defaults to ADW_ALERTMANAGER_URL.
 */
export const createAlertmanagerNotifier: NotifierFactory = (receiver, ctx) => {
  const o = validateOptions<AlertmanagerOptions>(OPTIONS_SCHEMA, receiver, ctx)
  const base = checkReceiverUrl(o.url ?? ctx.defaultAlertmanagerUrl, ctx, 'url')
  const url = new URL('api/v2/alerts', base.href.endsWith('/') ? base.href : `${base.href}/`).href
  const ttlMs = parseDurationMs(o.alert_ttl ?? DEFAULT_ALERT_TTL) ?? 0
  const auth = o.basic_auth === undefined ? undefined : { username: o.basic_auth.username, password: resolveSecret(o.basic_auth.password, ctx, 'basic_auth.password') }
  const redact = (t: string) => (ctx.secrets === 'validate-only' ? t : ctx.secrets.redact(t))
  return {
    receiver: receiver.name,
    type: 'alertmanager',
    granularity: 'group',
    rateLimit: rateLimitOf(receiver, url, undefined),
    parallelism: parallelismOf(receiver, 4),
    async send(n, signal) {
      const body = JSON.stringify(buildAlertmanagerAlerts(n, ctx.now(), ttlMs, ctx.dashboardUrl))
      const headers: Record<string, string> = auth === undefined ? {} : { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString('base64')}` }
      const res = await ctx.http.post(url, body, headers, signal)
      expectSuccess(res, `Alertmanager of receiver "${receiver.name}"`, ctx.now(), redact)
    },
  } satisfies Notifier
}

/** The `postableAlerts` body of a notification (pure). */
export function buildAlertmanagerAlerts(n: Notification, nowMs: number, ttlMs: number, dashboardUrl: string | undefined): object[] {
  return n.alerts.map((a) => {
    const link = alertLink(dashboardUrl, a)
    return {
      labels: alertmanagerLabels(a, n.tenant),
      annotations: {
        summary: summaryOf(a),
        ...(a.annotations.description === undefined ? {} : { description: a.annotations.description }),
        conditions: a.explanation,
        values: formatValues(a.values),
        fingerprint: a.fingerprint,
      },
      startsAt: iso(a.startsAtMs),
      endsAt: iso(a.status === 'resolved' ? (a.endsAtMs ?? nowMs) : nowMs + ttlMs),
      ...(link === undefined ? {} : { generatorURL: link }),
    }
  })
}

/** Alert labels as Alertmanager accepts them: valid names, no empty values, `alertname` set. */
export function alertmanagerLabels(a: NotifiedAlert, tenant: string): Record<string, string> {
  const raw: Record<string, string> = {
    ...a.labels,
    alertname: a.labels.alertname ?? a.sourceId,
    severity: a.severity,
    tenant,
    level: a.level,
    entity: a.entity,
    account: a.account,
    source: a.source,
    ...(a.campaign === '' ? {} : { campaign: a.campaign }),
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw)) {
    if (v === '') continue
    const name = k.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9])/, '_')
    out[name] = v
  }
  return out
}
