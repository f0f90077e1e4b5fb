import type { Logger } from '../../core/log.ts'
import type { Secret } from '../../core/config.ts'
import type { AlertSeverity } from '../alert-event.ts'
import type { NotifyReason } from '../alert.ts'
import type { Level } from '../../stream/event.ts'
import type { SecretResolver } from '../secrets.ts'

/** The receiver types a routing config can name. */
export const RECEIVER_TYPES = ['slack', 'pagerduty', 'webhook', 'alertmanager', 'log'] as const
/** One of RECEIVER_TYPES. */
export type ReceiverType = (typeof RECEIVER_TYPES)[number]

/** One alert inside a notification: the facts a receiver shows. */
export interface NotifiedAlert {
  readonly fingerprint: string
  readonly status: 'firing' | 'resolved'
  readonly reason: NotifyReason
  readonly source: 'rule' | 'detector'
  readonly sourceId: string
  readonly sourceVersion: number
  readonly level: Level
  readonly entity: string
  readonly account: string
  readonly campaign: string
  readonly severity: AlertSeverity
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  readonly values: Readonly<Record<string, number | string | null>>
  readonly explanation: string
  readonly startsAtMs: number
  readonly endsAtMs: number | undefined
  /** When the verdict behind this status was made (for latency and ordering). */
  readonly updatedAtMs: number
}

/**
 * One notification as the outbox carries it: some alerts of one group for one receiver.
 * `id` is the outbox entry id, stable across retries and restarts (an idempotency key).
 */
export interface Notification {
  readonly id: string
  readonly tenant: string
  readonly receiver: string
  readonly groupKey: string
  readonly groupLabels: Readonly<Record<string, string>>
  readonly alerts: readonly NotifiedAlert[]
  readonly createdAtMs: number
}

/** A token bucket shared by every receiver that posts to the same place (`key`). */
export interface RateLimit {
  readonly key: string
  readonly perSecond: number
  readonly burst: number
}

/**
 * Sends notifications to one receiver. `send` resolves when the receiver accepted the
 * notification and throws a NotifyError otherwise (`retryable` says whether trying again
 * later can help). `granularity: 'alert'` receivers (PagerDuty) get one notification per
 * alert, so a retry never repeats another alert's event.
 */
export interface Notifier {
  readonly receiver: string
  readonly type: ReceiverType
  readonly granularity: 'alert' | 'group'
  readonly rateLimit: RateLimit | undefined
  /**
   * Lanes: notifications of different groups may be in flight at once, up to this many; one
   * group's (so one alert's) always go one at a time, in order.
   */
  readonly parallelism: number
  send(n: Notification, signal: AbortSignal): Promise<void>
}

/** A receiver as a routing config declares it: a name, a type, and the type's options. */
export interface ReceiverConfig {
  readonly name: string
  readonly type: string
  readonly [option: string]: unknown
}

/** A reference to a secret by name (`{"secret": "oncall_slack"}`); values never appear in configs. */
export interface SecretRef {
  readonly secret: string
}

/** What a notifier factory gets besides its receiver's options. */
export interface NotifierContext {
  readonly tenant: string
  /** JSON path of the receiver in the routing config, e.g. `$.receivers[2]`. */
  readonly path: string
  /** `validate-only`: check the config's shape without resolving secrets (the gateway). */
  readonly secrets: SecretResolver | 'validate-only'
  readonly http: HttpClient
  readonly allowInsecureUrls: boolean
  readonly dashboardUrl: string | undefined
  readonly defaultAlertmanagerUrl: string
  readonly log: Logger
  readonly now: () => number
}

/** Builds a notifier from its receiver config; throws RoutingConfigError naming JSON paths. */
export type NotifierFactory = (receiver: ReceiverConfig, ctx: NotifierContext) => Notifier

/** A response of a receiver, read in full. */
export interface HttpResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: string
}

/** Posts to receivers; the fetch adapter below, or a fake in unit tests. */
export interface HttpClient {
  post(url: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<HttpResponse>
}

/** A resolved secret value together with its reference, for messages that must not show it. */
export interface ResolvedSecret {
  readonly name: string
  readonly value: Secret
}
