import type { ClickHouseClient } from '@clickhouse/client'
import { Redis } from 'ioredis'
import { repeatEvery, sleep as abortableSleep } from '../core/backoff.ts'
import { createClickHouse } from '../core/clickhouse.ts'
import type { AdwatchConfig } from '../core/config.ts'
import type { Logger } from '../core/log.ts'
import { migrate } from '../core/migrate.ts'
import { TenantDirectory } from '../stream/tenant-directory.ts'
import { AlertsLeaseManager, leaseWaitMsOf } from './alerts-lease.ts'
import { ClickHouseAlertHistory, type NotificationRecord } from './clickhouse-alert-history.ts'
import { RateLimiters } from './delivery/token-bucket.ts'
import { AlertLeaseLostError } from './errors.ts'
import { AlertHistoryConsumer } from './history-consumer.ts'
import { NodeHttpClient } from './notifiers/http.ts'
import type { HttpClient, NotifierContext } from './notifiers/notifier.ts'
import { OutboxDeliverer } from './outbox-deliverer.ts'
import { buildAlertPipeline, buildDeliveryStages } from './pipeline.ts'
import { RedisAlertStore } from './redis-alert-store.ts'
import { RedisOutbox } from './redis-outbox.ts'
import { RedisRoutingStore } from './redis-routing-store.ts'
import { RedisSilenceStore } from './redis-silence-store.ts'
import { compileRouting } from './routing.ts'
import { defaultRoutingConfig } from './routing-config.ts'
import type { SecretResolver } from './secrets.ts'
import { TenantAlertWorker } from './tenant-alert-worker.ts'

/** How often buffered notification outcomes are written to ClickHouse. */
const RECORD_FLUSH_MS = 1_000
/** Outcomes kept in memory while ClickHouse is down (oldest dropped beyond). */
const MAX_BUFFERED_RECORDS = 50_000

/** Options of the runtime (tests inject the clock and the HTTP client). */
export interface AlertsRuntimeOptions {
  readonly secrets: SecretResolver
  readonly now?: () => number
  readonly http?: HttpClient
  readonly random?: () => number
}

/** A running alerts process's parts. */
export interface AlertsRuntime {
  readonly redis: Redis
  readonly clickhouse: ClickHouseClient
  readonly history: ClickHouseAlertHistory
  /** Applies the ClickHouse migrations (creating the database if needed). */
  migrate(): Promise<void>
  /** One step at `nowMs`: tenants, leases, each held tenant's pipeline tick. */
  step(nowMs: number): Promise<void>
  /** Runs `step` every ADW_ALERTS_TICK_MS until `stop`. */
  run(): Promise<void>
  /** Stops ticking and deliveries, flushes history, gives the leases up, closes clients. */
  stop(): Promise<void>
  /** Tenants this process holds. */
  tenants(): string[]
  /** Notifications held in memory by the deliverers (queued or being retried). */
  queued(): number
}

/**
 * Wires the alerts process from config: tenant leases (fair share between processes), per
 * held tenant a TenantAlertWorker (pipeline, history writer, outbox deliverer), shared rate
 * limiters, buffered notification records.
 */
export function createAlertsRuntime(cfg: AdwatchConfig, log: Logger, opts: AlertsRuntimeOptions): AlertsRuntime {
  const a = cfg.alerts
  const now = opts.now ?? Date.now
  const random = opts.random ?? Math.random
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 3 })
  const clickhouse = createClickHouse(cfg.clickhouse)
  const history = new ClickHouseAlertHistory(clickhouse, cfg.clickhouse.database)
  const http = opts.http ?? new NodeHttpClient(a.httpTimeoutMs)
  const directory = new TenantDirectory(redis, cfg.redis.keyPrefix, cfg.consumer.defaultTimeZone, now)
  const leases = new AlertsLeaseManager(redis, cfg.redis.keyPrefix, a.workerId, a.leaseTtlMs)
  const store = new RedisAlertStore(redis, cfg.redis.keyPrefix)
  const outbox = new RedisOutbox(redis, cfg.redis.keyPrefix, a.workerId, a.deadLetterMax)
  const silences = new RedisSilenceStore(redis, cfg.redis.keyPrefix, now)
  const validation = { allowInsecureUrls: a.allowInsecureReceivers, defaultAlertmanagerUrl: cfg.alertmanagerUrl }
  const routing = new RedisRoutingStore(redis, cfg.redis.keyPrefix, now, validation)
  const limiters = new RateLimiters()
  const pipeline = buildAlertPipeline()
  const deliveryStages = buildDeliveryStages()
  /** `since`: when the last successful acquire or renewal of the lease was asked for (the lease runs `leaseTtlMs` from no earlier). */
  const workers = new Map<string, { worker: TenantAlertWorker; leaseValue: string; lease: { since: number }; historyBusy: boolean }>()
  const records: NotificationRecord[] = []
  let lastLeaseMs = -Infinity
  let lastFlushMs = -Infinity
  let stopping = false
  const stopper = new AbortController()
  const renewStopper = new AbortController()
  let running: Promise<void> | undefined
  let renewing: Promise<void> | undefined

  const contextFor = (tenant: string) => (path: string): NotifierContext => ({
    tenant,
    path,
    secrets: opts.secrets,
    http,
    allowInsecureUrls: a.allowInsecureReceivers,
    dashboardUrl: a.dashboardUrl,
    defaultAlertmanagerUrl: cfg.alertmanagerUrl,
    log,
    now,
  })

  const startWorker = async (tenant: string, leaseValue: string, leaseSince: number) => {
    let worker: TenantAlertWorker | undefined = undefined
    const lease = { since: leaseSince }
    const deliverer = new OutboxDeliverer({
      tenant,
      outbox,
      notifierFor: (receiver) => worker?.currentRouting?.notifiers.get(receiver),
      stages: deliveryStages,
      limiters,
      settings: { retry: { baseMs: a.retryBaseMs, maxMs: a.retryMaxMs, maxAttempts: a.maxAttempts }, breakerFailures: a.breakerFailures, breakerOpenMs: a.breakerOpenMs },
      records: (r) => {
        records.push(r)
        if (records.length > MAX_BUFFERED_RECORDS) records.splice(0, records.length - MAX_BUFFERED_RECORDS)
      },
      now,
      sleep: abortableSleep,
      random,
      // Sends start only while the lease has time left: one that cannot be renewed stops them first.
      leaseWaitMs: (nowMs) => leaseWaitMsOf(lease.since, a.leaseTtlMs, nowMs),
      log,
    })
    worker = new TenantAlertWorker({
      tenant,
      leaseValue,
      redis,
      keyPrefix: cfg.redis.keyPrefix,
      consumer: a.workerId,
      store,
      silences,
      routing,
      compile: (config, version) =>
        compileRouting(config ?? defaultRoutingConfig(a.defaultReceiver), version, { groupWaitMs: a.groupWaitMs, groupIntervalMs: a.groupIntervalMs, repeatIntervalMs: a.repeatIntervalMs }, contextFor(tenant)),
      pipeline,
      deliverer,
      history: new AlertHistoryConsumer(redis, cfg.redis.keyPrefix, a.workerId, tenant, history, log),
      log,
    })
    await worker.start()
    workers.set(tenant, { worker, leaseValue, lease, historyBusy: false })
    log.info({ tenant }, 'tenant taken')
  }

  const dropWorker = async (tenant: string, release: boolean) => {
    const w = workers.get(tenant)
    if (w === undefined) return
    workers.delete(tenant)
    await w.worker.stop(a.httpTimeoutMs)
    if (release) await leases.release(tenant, w.leaseValue).catch(() => undefined)
  }

  /** Renews every held lease; a tenant whose lease is gone is dropped (its workers stop in parallel). */
  const renewHeld = async () => {
    const lost: string[] = []
    for (const [tenant, w] of [...workers]) {
      const askedAt = now()
      if (await leases.renew(tenant, w.leaseValue)) w.lease.since = askedAt
      else if (workers.get(tenant) === w) lost.push(tenant)
    }
    await Promise.all(
      lost.map((tenant) => {
        log.warn({ tenant }, 'tenant lease lost; another alerts process has it')
        return dropWorker(tenant, false)
      }),
    )
  }

  const manageLeases = async (nowMs: number) => {
    await directory.refresh(30_000)
    const alive = await leases.heartbeat(nowMs)
    // run() renews on its own timer; a caller driving step() alone gets the renewals here.
    if (renewing === undefined) await renewHeld()
    const known = directory.known().sort()
    const share = Math.ceil(known.length / alive)
    for (const tenant of known) {
      if (workers.size >= share || stopping) break
      if (workers.has(tenant)) continue
      const askedAt = now()
      const value = await leases.tryAcquire(tenant)
      if (value === undefined) continue
      try {
        await startWorker(tenant, value, askedAt)
      } catch (err) {
        log.error({ tenant, err: (err as Error).message }, 'taking tenant failed; retrying later')
        await leases.release(tenant, value).catch(() => undefined)
      }
    }
    // In parallel: each stop may wait for a send in flight (up to the HTTP timeout), and the
    // leases still held must not wait behind them.
    await Promise.all([...workers.keys()].slice(share).map((tenant) => dropWorker(tenant, true)))
  }

  const flushRecords = async () => {
    if (records.length === 0) return
    const batch = records.splice(0, records.length)
    try {
      await history.insertNotifications(batch)
    } catch (err) {
      records.unshift(...batch)
      log.warn({ records: batch.length, err: (err as Error).message }, 'notification records not written; retrying')
    }
  }

  let stopped: Promise<void> | undefined
  const stopAll = async () => {
    stopping = true
    stopper.abort()
    await running
    await Promise.all([...workers.keys()].map((tenant) => dropWorker(tenant, true)))
    renewStopper.abort()
    await renewing
    await flushRecords()
    await leases.leave().catch(() => undefined)
    await Promise.allSettled([redis.quit(), clickhouse.close()])
  }

  const runtime: AlertsRuntime = {
    redis,
    clickhouse,
    history,
    async migrate() {
      const admin = createClickHouse(cfg.clickhouse, 'default')
      try {
        await migrate(admin, cfg.clickhouse.database)
      } finally {
        await admin.close()
      }
    },
    async step(nowMs) {
      if (nowMs - lastLeaseMs >= a.leaseRenewMs) {
        lastLeaseMs = nowMs
        await manageLeases(nowMs)
      }
      await Promise.all(
        [...workers.entries()].map(async ([tenant, w]) => {
          try {
            await w.worker.tick(nowMs)
          } catch (err) {
            if (err instanceof AlertLeaseLostError) {
              log.warn({ tenant }, 'tenant lease lost at commit; another alerts process has it')
              await dropWorker(tenant, false)
              return
            }
            log.error({ tenant, err: (err as Error).message }, 'alerts tick failed; retrying next tick')
          }
          if (!w.historyBusy) {
            w.historyBusy = true
            void w.worker.writeHistory(now()).catch((err: unknown) => log.warn({ tenant, err: (err as Error).message }, 'alert history step failed')).finally(() => (w.historyBusy = false))
          }
        }),
      )
      if (nowMs - lastFlushMs >= RECORD_FLUSH_MS) {
        lastFlushMs = nowMs
        await flushRecords()
      }
    },
    run() {
      // Leases are also renewed on a timer of their own: a slow step (a tenant's tick, taking a
      // tenant, stopping one that waits for a send) must not hold a renewal past the TTL. Until
      // stop() has dropped every tenant.
      renewing ??= repeatEvery(a.leaseRenewMs, renewStopper.signal, renewHeld, (err) => log.error({ err: err.message }, 'alerts lease renewal failed; retrying'))
      running ??= (async () => {
        while (!stopper.signal.aborted) {
          const started = now()
          try {
            await runtime.step(started)
          } catch (err) {
            log.error({ err: (err as Error).message }, 'alerts step failed; retrying')
          }
          await abortableSleep(Math.max(0, a.tickMs - (now() - started)), stopper.signal)
        }
      })()
      return running
    },
    stop() {
      stopped ??= stopAll()
      return stopped
    },
    tenants: () => [...workers.keys()],
    queued: () => {
      let n = 0
      for (const w of workers.values()) n += w.worker.queued
      return n
    },
  }
  return runtime
}
