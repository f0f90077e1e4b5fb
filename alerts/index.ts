/**
 * The alerts front door: what other folders use. The gateway reads and changes silences,
 * acknowledgements, routing configs, dead letters and history through these stores; the
 * rules engine and the detectors write alert events to the tenant's event log; the alerts
 * process itself is `alerts/main.ts`.
 */
import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import { RedisAlertStateStore } from './alert-state-store.ts'
import { DetectorAlertSink, type DetectorAlertOptions } from './detector-finding-sink.ts'
import { RedisAlertEventLog } from './redis-event-log.ts'

export { fingerprintOf, type AlertEvent, type AlertEventSink, type AlertSeverity } from './alert-event.ts'
export type { Acknowledgement, Alert, AlertStatus, Announcement } from './alert.ts'
export { RedisAlertEventLog } from './redis-event-log.ts'
export { RedisAlertStateStore } from './alert-state-store.ts'
export { INACTIVE, stepAlert, type AlertState, type AlertTiming, type NoDataPolicy, type Observation, type Transition } from './state-machine.ts'
export { RedisSilenceStore, EXPIRED_SILENCE_RETENTION_MS } from './redis-silence-store.ts'
export { silenceState, type Silence, type SilenceInput, type SilenceState } from './silence.ts'
export { RedisAckStore } from './redis-ack-store.ts'
export { RedisRoutingStore, type StoredRoutingConfig } from './redis-routing-store.ts'
export { ROUTING_CONFIG_SCHEMA, validateRoutingConfig, type RoutingConfig, type RoutingValidationOptions } from './routing-config.ts'
export { RedisAlertQueries, type ActiveAlert } from './alert-queries.ts'
export { RedisOutbox, type DeadLetteredNotification } from './redis-outbox.ts'
export { ClickHouseAlertHistory, type AlertHistoryRow, type HistoryFilter, type NotificationRecord } from './clickhouse-alert-history.ts'
export { AlertNotFoundError, NotifyError, RoutingConfigError, SilenceInvalidError, type ConfigProblem } from './errors.ts'
export type { LabelMatcher } from './matchers.ts'
export { RECEIVER_TYPES, type ReceiverType } from './notifiers/notifier.ts'
export { verifyWebhookSignature, SIGNATURE_HEADER, NOTIFICATION_ID_HEADER } from './notifiers/webhook-notifier.ts'
export { DetectorAlertSink, type DetectorAlertOptions } from './detector-finding-sink.ts'

/**
 * The detectors' FindingSink wired to Redis: detector alert states in
 * `<prefix>:{tenant}:detector-alert-states`, events to the tenant's alert event log (the one
 * the rules engine writes), and, with `sweepEveryMs`, a timer that resolves quiet alerts of
 * the registered tenants (call `stop()` on shutdown).
 */
export function createDetectorAlertSink(redis: Redis, keyPrefix: string, o: DetectorAlertOptions & { sweepEveryMs?: number }): DetectorAlertSink & { stop(): void } {
  const sink = new DetectorAlertSink({ events: new RedisAlertEventLog(redis, keyPrefix), states: new RedisAlertStateStore(redis, keyPrefix, 'detectors') }, o)
  let timer: NodeJS.Timeout | undefined
  if (o.sweepEveryMs !== undefined) {
    const tenantsKey = new RedisKeys(keyPrefix).tenants()
    timer = setInterval(() => {
      void redis
        .smembers(tenantsKey)
        .then((tenants) => sink.sweep(o.now(), tenants))
        .catch(() => undefined)
    }, o.sweepEveryMs)
    timer.unref()
  }
  return Object.assign(sink, { stop: () => clearInterval(timer) })
}
