import { RoutingConfigError } from '../errors.ts'
import { createAlertmanagerNotifier } from './alertmanager-notifier.ts'
import { createLogNotifier } from './log-notifier.ts'
import { RECEIVER_TYPES, type Notifier, type NotifierContext, type NotifierFactory, type ReceiverConfig, type ReceiverType } from './notifier.ts'
import { createPagerDutyNotifier } from './pagerduty-notifier.ts'
import { createSlackNotifier } from './slack-notifier.ts'
import { createWebhookNotifier } from './webhook-notifier.ts'

/** Each receiver type and the factory that validates its options and builds its notifier. */
export const notifierFactories = {
  slack: createSlackNotifier,
  pagerduty: createPagerDutyNotifier,
  webhook: createWebhookNotifier,
  alertmanager: createAlertmanagerNotifier,
  log: createLogNotifier,
} satisfies Record<ReceiverType, NotifierFactory>

/** Whether a string names a registered receiver type. */
export function isReceiverType(type: string): type is ReceiverType {
  return Object.hasOwn(notifierFactories, type)
}

/** Builds a receiver's notifier; an unknown type is an error naming `<path>.type`. */
export function buildNotifier(receiver: ReceiverConfig, ctx: NotifierContext): Notifier {
  if (!isReceiverType(receiver.type)) {
    throw new RoutingConfigError([{ path: `${ctx.path}.type`, message: `unknown receiver type "${receiver.type}"; use one of ${RECEIVER_TYPES.join(', ')}` }])
  }
  return notifierFactories[receiver.type](receiver, ctx)
}
