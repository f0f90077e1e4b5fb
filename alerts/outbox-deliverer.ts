import type { Logger } from '../core/log.ts'
import type { NotificationRecord } from './clickhouse-alert-history.ts'
import { CircuitBreaker } from './delivery/circuit-breaker.ts'
import type { Delivery, DeliveryRecorder, DeliveryStage, RetryPolicy } from './delivery/delivery-stage.ts'
import { ReceiverLane } from './delivery/receiver-lane.ts'
import type { RateLimiters } from './delivery/token-bucket.ts'
import type { Notification, Notifier } from './notifiers/notifier.ts'
import type { RedisOutbox } from './redis-outbox.ts'

/** Notifications read from the outbox per call. */
const READ_BATCH = 500

/** Settings of a tenant's deliveries. */
export interface DelivererSettings {
  readonly retry: RetryPolicy
  readonly breakerFailures: number
  readonly breakerOpenMs: number
}

/** What an OutboxDeliverer needs. */
export interface DelivererDeps {
  readonly tenant: string
  readonly outbox: RedisOutbox
  /** The receiver's current notifier (from the tenant's routing config). */
  readonly notifierFor: (receiver: string) => Notifier | undefined
  readonly stages: readonly DeliveryStage[]
  readonly limiters: RateLimiters
  readonly settings: DelivererSettings
  /** Where notification outcomes go for ClickHouse (buffered). */
  readonly records: (r: NotificationRecord) => void
  readonly now: () => number
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>
  readonly random: () => number
  /** How long a send must wait for the tenant's lease (DeliveryContext.leaseWaitMs). */
  readonly leaseWaitMs: (nowMs: number) => number
  readonly log: Logger
}

/**
 * Delivers a tenant's outbox: on start it claims every pending notification (a crashed
 * holder's included), then reads new ones, and hands each to a lane of its receiver (rate
 * limit ▸ retry ▸ record, one at a time per lane, in outbox order). A receiver has one lane,
 * or `parallelism` lanes chosen by group key, so one group's (and alert's) notifications stay
 * in order; its lanes share one circuit breaker.
 */
export class OutboxDeliverer {
  private readonly lanes = new Map<string, ReceiverLane>()
  private readonly breakers = new Map<string, CircuitBreaker>()
  private readonly stopWaits = new AbortController()
  private readonly stopSends = new AbortController()
  private polling: Promise<void> | undefined
  private pollAgain = false

  constructor(private readonly deps: DelivererDeps) {}

  async start(): Promise<void> {
    await this.deps.outbox.ensureGroup(this.deps.tenant)
    for (const n of await this.deps.outbox.claimAll(this.deps.tenant)) this.dispatch(n)
  }

  /** Reads what the outbox got since the last call (coalesces concurrent calls). */
  poll(): Promise<void> {
    if (this.polling !== undefined) {
      this.pollAgain = true
      return this.polling
    }
    this.polling = (async () => {
      try {
        do {
          this.pollAgain = false
          for (;;) {
            const batch = await this.deps.outbox.readNew(this.deps.tenant, READ_BATCH)
            for (const n of batch) this.dispatch(n)
            if (batch.length < READ_BATCH) break
          }
        } while (this.pollAgain)
      } finally {
        this.polling = undefined
      }
    })()
    return this.polling
  }

  /** Notifications held in memory (queued or being delivered). */
  get queued(): number {
    let n = 0
    for (const l of this.lanes.values()) n += l.size
    return n
  }

  /**
   * Stops: no new tries or waits; a request in flight may finish (and be recorded) within
   * `graceMs`, then it is aborted. What is left stays pending in the outbox.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopWaits.abort()
    const timer = setTimeout(() => this.stopSends.abort(), graceMs)
    await Promise.all([...this.lanes.values()].map((l) => l.stopped()))
    clearTimeout(timer)
    this.stopSends.abort()
  }

  private dispatch(n: Notification): void {
    // A group always maps to the same lane, so its notifications keep their order.
    const parallelism = this.deps.notifierFor(n.receiver)?.parallelism ?? 1
    const laneKey = parallelism <= 1 ? n.receiver : `${n.receiver}\u0000${laneOf(n.groupKey, parallelism)}`
    let lane = this.lanes.get(laneKey)
    if (lane === undefined) {
      const d = this.deps
      const recorder: DeliveryRecorder = {
        delivered: async (x) => {
          await d.outbox.ack(d.tenant, x.notification.id)
          d.records(this.record(x, 'delivered'))
        },
        deadLettered: async (x) => {
          await d.outbox.deadLetter(d.tenant, { notification: x.notification, attempts: x.attempts, code: x.error?.code ?? '', error: x.error?.message ?? '', atMs: d.now() })
          d.records(this.record(x, 'dead_letter'))
        },
      }
      lane = new ReceiverLane(d.stages, {
        now: d.now,
        sleep: d.sleep,
        random: d.random,
        signal: this.stopWaits.signal,
        sendSignal: this.stopSends.signal,
        notifier: () => d.notifierFor(n.receiver),
        breaker: this.breakerOf(n.receiver),
        leaseWaitMs: d.leaseWaitMs,
        limiters: d.limiters,
        retry: d.settings.retry,
        recorder,
        log: d.log,
      })
      this.lanes.set(laneKey, lane)
    }
    lane.push(n)
  }

  /** One breaker per receiver, shared by its lanes. */
  private breakerOf(receiver: string): CircuitBreaker {
    let b = this.breakers.get(receiver)
    if (b === undefined) {
      b = new CircuitBreaker(this.deps.settings.breakerFailures, this.deps.settings.breakerOpenMs)
      this.breakers.set(receiver, b)
    }
    return b
  }

  private record(x: Delivery, outcome: NotificationRecord['outcome']): NotificationRecord {
    const n = x.notification
    return {
      tenant: n.tenant,
      notificationId: n.id,
      receiver: n.receiver,
      receiverType: this.deps.notifierFor(n.receiver)?.type ?? '',
      groupKey: n.groupKey,
      fingerprints: n.alerts.map((a) => a.fingerprint),
      statuses: n.alerts.map((a) => a.status),
      outcome,
      attempts: x.attempts,
      errorCode: x.error?.code ?? '',
      error: x.error?.message ?? '',
      createdAtMs: n.createdAtMs,
      finishedAtMs: x.finishedAtMs ?? this.deps.now(),
    }
  }
}

/** The lane of a group among `n` (FNV-1a of the group key). */
export function laneOf(groupKey: string, n: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < groupKey.length; i++) {
    h ^= groupKey.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % n
}
