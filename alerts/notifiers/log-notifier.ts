import type { Notifier, NotifierFactory } from './notifier.ts'
import { COMMON_OPTIONS, parallelismOf, validateOptions } from './options.ts'
import { summaryOf } from './render.ts'

const OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type'],
  properties: { ...COMMON_OPTIONS },
} as const

/**
 * Writes each notification to the alerts log (one line per notification, no secrets): the
 * default receiver of tenants without a routing config, and of local runs.
 */
export const createLogNotifier: NotifierFactory = (receiver, ctx) => {
  validateOptions(OPTIONS_SCHEMA, receiver, ctx)
  return {
    receiver: receiver.name,
    type: 'log',
    granularity: 'group',
    rateLimit: undefined,
    parallelism: parallelismOf(receiver, 1),
    async send(n) {
      ctx.log.info(
        { tenant: n.tenant, receiver: n.receiver, notification: n.id, group: n.groupKey, alerts: n.alerts.map((a) => ({ fingerprint: a.fingerprint, status: a.status, reason: a.reason, severity: a.severity, summary: summaryOf(a), conditions: a.explanation })) },
        'alert notification',
      )
    },
  } satisfies Notifier
}
