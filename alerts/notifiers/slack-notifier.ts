import { expectSuccess } from './http.ts'
import type { Notification, NotifiedAlert, Notifier, NotifierFactory, SecretRef } from './notifier.ts'
import { checkReceiverUrl, COMMON_OPTIONS, parallelismOf, rateLimitOf, resolveSecret, SECRET_REF_SCHEMA, validateOptions } from './options.ts'
import { alertLink, formatValues, statusOf, summaryOf, truncate } from './render.ts'

/** Slack's limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerChars: 150,
  sectionTextChars: 3000,
  fieldChars: 2000,
  fields: 10,
  contextElements: 10,
  buttonTextChars: 75,
  urlChars: 3000,
  fallbackTextChars: 3000,
} as const

/** Alerts shown one by one in a message; the rest are counted ("and 4 more"). */
export const SLACK_MAX_ALERTS_SHOWN = 10

const OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type', 'webhook_url'],
  properties: {
    ...COMMON_OPTIONS,
    webhook_url: SECRET_REF_SCHEMA,
    mention: { type: 'string', maxLength: 100 },
  },
} as const

interface SlackOptions {
  readonly webhook_url: SecretRef
  readonly mention?: string
}

const SEVERITY_ICON = { critical: '🔴', error: '🟠', warning: '🟡', info: '🔵' } as const

/**
 * Slack incoming webhook with Block Kit: a header with status, rule and account, a summary,
 * then per alert its summary, severity, entity, the fired conditions with values and a link,
 * within Slack's block and text limits. One message per group; Slack allows about one message
 * per second per channel, the default rate limit (keyed by the webhook, i.e. the channel).
 */
export const createSlackNotifier: NotifierFactory = (receiver, ctx) => {
  const o = validateOptions<SlackOptions>(OPTIONS_SCHEMA, receiver, ctx)
  const url = resolveSecret(o.webhook_url, ctx, 'webhook_url')
  if (ctx.secrets !== 'validate-only') checkReceiverUrl(url.reveal(), ctx, 'webhook_url', `secret "${o.webhook_url.secret}"`)
  const redact = (t: string) => (ctx.secrets === 'validate-only' ? t : ctx.secrets.redact(t))
  return {
    receiver: receiver.name,
    type: 'slack',
    granularity: 'group',
    rateLimit: rateLimitOf(receiver, url.reveal(), { perSecond: 1, burst: 1 }),
    parallelism: parallelismOf(receiver, 1),
    async send(n, signal) {
      const body = JSON.stringify(buildSlackMessage(n, { dashboardUrl: ctx.dashboardUrl, mention: o.mention }))
      const res = await ctx.http.post(url.reveal(), body, {}, signal)
      expectSuccess(res, `Slack webhook of receiver "${receiver.name}"`, ctx.now(), redact)
    },
  } satisfies Notifier
}

/** Options of the message layout. */
export interface SlackMessageOptions {
  readonly dashboardUrl: string | undefined
  readonly mention?: string
}

/** The Block Kit payload of a notification (pure; checked against Slack's limits in tests). */
export function buildSlackMessage(n: Notification, o: SlackMessageOptions): { text: string; blocks: object[] } {
  const status = statusOf(n)
  const firing = n.alerts.filter((a) => a.status === 'firing')
  const resolved = n.alerts.filter((a) => a.status === 'resolved')
  const first = n.alerts[0]
  const rule = n.groupLabels.alertname ?? first?.sourceId ?? 'alert'
  const account = n.groupLabels.account ?? first?.account ?? ''
  const title = `${status === 'firing' ? '🔥 FIRING' : '✅ RESOLVED'}: ${rule}${account === '' ? '' : ` · ${account}`}`
  const counts = [firing.length > 0 ? `${firing.length} firing` : '', resolved.length > 0 ? `${resolved.length} resolved` : ''].filter((s) => s !== '').join(', ')
  const mention = status === 'firing' && o.mention !== undefined ? `${o.mention} ` : ''
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, SLACK_LIMITS.headerChars), emoji: true } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`${mention}*${counts}* · tenant \`${esc(n.tenant)}\` · group ${esc(Object.entries(n.groupLabels).map(([k, v]) => `${k}=${v}`).join(', '))}`, SLACK_LIMITS.sectionTextChars) },
    },
    { type: 'divider' },
  ]
  const shown = [...firing, ...resolved].slice(0, SLACK_MAX_ALERTS_SHOWN)
  for (const a of shown) blocks.push(...alertBlocks(a, o.dashboardUrl))
  if (n.alerts.length > shown.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `_…and ${n.alerts.length - shown.length} more alerts in this group_` }] })
  }
  const link = first === undefined ? undefined : alertLink(o.dashboardUrl, first)
  if (link !== undefined && link.length <= SLACK_LIMITS.urlChars) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in adwatch' }, url: link, action_id: 'open-adwatch' }] })
  }
  const fallback = `${title}: ${shown.map((a) => summaryOf(a)).join('; ')}`
  return { text: truncate(fallback, SLACK_LIMITS.fallbackTextChars), blocks: blocks.slice(0, SLACK_LIMITS.blocks) }
}

function alertBlocks(a: NotifiedAlert, dashboardUrl: string | undefined): object[] {
  const link = alertLink(dashboardUrl, a)
  const icon = a.status === 'resolved' ? '✅' : SEVERITY_ICON[a.severity]
  const summary = esc(truncate(summaryOf(a), 300))
  const title = link === undefined ? `*${summary}*` : `*<${link}|${summary}>*`
  const conditions = a.explanation === '' ? '' : `\n\`\`\`${truncate(a.explanation.replace(/`/g, "'"), 2000)}\`\`\``
  const fields = [
    `*Severity*\n${a.severity}`,
    `*Status*\n${a.status}${a.reason === 'repeat' ? ' (reminder)' : ''}`,
    `*Entity*\n${a.level} \`${esc(a.entity)}\``,
    `*Account*\n\`${esc(a.account)}\``,
    `*Started*\n<!date^${Math.floor(a.startsAtMs / 1000)}^{date_short_pretty} {time}|${new Date(a.startsAtMs).toISOString()}>`,
  ]
  if (a.endsAtMs !== undefined) fields.push(`*Resolved*\n<!date^${Math.floor(a.endsAtMs / 1000)}^{date_short_pretty} {time}|${new Date(a.endsAtMs).toISOString()}>`)
  const values = formatValues(a.values)
  if (values !== '') fields.push(`*Values*\n${esc(values)}`)
  return [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`${icon} ${title}${conditions}`, SLACK_LIMITS.sectionTextChars) },
      fields: fields.slice(0, SLACK_LIMITS.fields).map((t) => ({ type: 'mrkdwn', text: truncate(t, SLACK_LIMITS.fieldChars) })),
    },
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`${a.source} \`${esc(a.sourceId)}\` v${a.sourceVersion} · fingerprint \`${a.fingerprint}\``, SLACK_LIMITS.sectionTextChars) }] },
  ]
}

/** Escapes the three characters Slack's mrkdwn gives meaning to. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
