import { spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { fingerprintOf, type AlertEvent } from '../alerts/alert-event.ts'
import { NodeHttpClient } from '../alerts/notifiers/http.ts'
import { RedisAlertEventLog } from '../alerts/redis-event-log.ts'
import { RedisRoutingStore } from '../alerts/redis-routing-store.ts'
import { LocalReceiver, type ReceivedRequest } from '../alerts/testing/local-receiver.ts'
import type { AdwatchConfig } from '../core/config.ts'
import { sleep } from '../core/backoff.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { deleteKeys, dropDatabase, freshConfig, migrateDatabase } from './bench-env.ts'
import { formatRate, renderTable, summarize } from './stats.ts'

/** Options of `npm run bench -- alerts`. */
export interface AlertsBenchOptions {
  /** Notifications of the throughput phase, per repetition. */
  readonly notifications: number
  /** Verdicts per second of the latency phase, and for how long. */
  readonly rate: number
  readonly latencySeconds: number
  readonly repetitions: number
}

/** DESIGN.md "Performance budgets": event put ▸ alert at the receiver, rule without `for`. */
export const ALERT_BUDGET_P99_MS = 2_000

const HOOK_SECRET = 'whsec-bench-signing-key'

/**
 * Measures, in one run and as medians over the repetitions, the alerts process
 * (`alerts/main.ts`, a child process, default settings) delivering to a local signed-webhook
 * receiver on 127.0.0.1:
 * - throughput: N firing verdicts written to the event log at once, one notification each,
 *   until the receiver accepted all N, beside a bare sequential POST loop to the same receiver
 *   (the outbox delivers each receiver's notifications one at a time, in order);
 * - latency: verdicts at a steady rate, each a new alert group with the default group_wait;
 *   p50 / p99 from the verdict (the event's time) to its arrival at the receiver.
 */
export async function runAlertsBench(base: AdwatchConfig, o: AlertsBenchOptions): Promise<void> {
  const progress = (msg: string) => process.stderr.write(`bench alerts: ${msg}\n`)
  const cfg = freshConfig(base, 'al')
  const prefix = cfg.redis.keyPrefix
  const redis = new Redis(cfg.redis.url)
  const receiver = await LocalReceiver.start()
  const reps = Array.from({ length: o.repetitions }, (_, i) => i + 1)
  const tenants = reps.flatMap((r) => [`tput${r}`, `lat${r}`])
  const logDir = path.join(os.tmpdir(), 'adwatch-bench-logs')
  mkdirSync(logDir, { recursive: true })
  const logFile = path.join(logDir, `${prefix}-alerts.log`)
  await migrateDatabase(cfg)
  await registerTenants(redis, prefix, tenants)
  const routing = new RedisRoutingStore(redis, prefix, Date.now, { allowInsecureUrls: true, defaultAlertmanagerUrl: cfg.alertmanagerUrl })
  for (const r of reps) {
    // Throughput: every alert its own group and notification, sent at once.
    await routing.put(`tput${r}`, { receivers: [{ name: 'hook', type: 'webhook', url: `${receiver.url}/tput${r}`, signing_secret: { secret: 'hook' } }], route: { receiver: 'hook' }, group: { by: ['alertname', 'entity'], wait: '0s' } }, 'bench')
    // Latency: the default grouping and timings (ADW_ALERTS_*).
    await routing.put(`lat${r}`, { receivers: [{ name: 'hook', type: 'webhook', url: `${receiver.url}/lat${r}`, signing_secret: { secret: 'hook' } }], route: { receiver: 'hook' } }, 'bench')
  }
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ADW_REDIS_PREFIX: prefix,
    ADW_CLICKHOUSE_DB: cfg.clickhouse.database,
    ADW_ALERTS_WORKER_ID: `bench-${prefix}`,
    ADW_ALERTS_ALLOW_INSECURE_RECEIVERS: 'true',
    ADW_LOG_LEVEL: 'warn',
    ...Object.fromEntries(tenants.map((t) => [`ADW_ALERTS_SECRET_${t.toUpperCase()}_HOOK`, HOOK_SECRET])),
  }
  progress(`starting the alerts process (log: ${logFile})`)
  const child = spawn(process.execPath, ['--import', 'tsx', 'alerts/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const out = createWriteStream(logFile)
  child.stdout.pipe(out)
  child.stderr.pipe(out)
  const exited = new Promise<unknown>((resolve) => child.once('exit', resolve))
  const keys = new RedisKeys(prefix)
  const tput: number[] = []
  const raw: number[] = []
  const p50: number[] = []
  const p99: number[] = []
  try {
    await waitUntil('the alerts process holds every tenant', async () => (await Promise.all(tenants.map((t) => redis.exists(keys.alertsLease(t))))).every((x) => x === 1), 60_000)
    const log = new RedisAlertEventLog(redis, prefix)
    for (const r of reps) {
      progress(`repetition ${r}/${o.repetitions}: bare sequential POSTs`)
      raw.push(await measureRawPosts(receiver, `${receiver.url}/raw${r}`, Math.min(o.notifications, 5_000)))

      progress(`repetition ${r}/${o.repetitions}: ${formatRate(o.notifications)} notifications through the outbox`)
      const t0 = performance.now()
      const now = Date.now()
      for (let i = 0; i < o.notifications; i += 1_000) {
        await log.submit(Array.from({ length: Math.min(1_000, o.notifications - i) }, (_, j) => verdict(`tput${r}`, `c${i + j}`, 'act_1', now)))
      }
      await waitUntil('every notification at the receiver', async () => countPath(receiver.requests, `/tput${r}`) >= o.notifications, 300_000, 20)
      tput.push(o.notifications / ((performance.now() - t0) / 1000))

      progress(`repetition ${r}/${o.repetitions}: latency at ${o.rate} verdicts/s for ${o.latencySeconds} s`)
      const total = o.rate * o.latencySeconds
      const batchEveryMs = 50
      const perBatch = Math.max(1, Math.round((o.rate * batchEveryMs) / 1000))
      const start = Date.now()
      for (let i = 0; i < total; i += perBatch) {
        const at = Date.now()
        await log.submit(Array.from({ length: Math.min(perBatch, total - i) }, (_, j) => verdict(`lat${r}`, `c${i + j}`, `act_${i + j}`, at)))
        await sleep(Math.max(0, start + ((i + perBatch) / o.rate) * 1000 - Date.now()))
      }
      await waitUntil('every latency notification', async () => countPath(receiver.requests, `/lat${r}`) >= total, 120_000, 20)
      const lat = receiver.requests
        .filter((q) => q.path === `/lat${r}` && q.status === 200)
        .flatMap((q) => (q.json as { alerts: Array<{ decidedAt: string }> }).alerts.map((a) => q.atMs - Date.parse(a.decidedAt)))
        .sort((a, b) => a - b)
      p50.push(percentile(lat, 0.5))
      p99.push(percentile(lat, 0.99))
      receiver.requests.length = 0
    }
    printAlertsResults(o, cfg, { tput, raw, p50, p99 })
  } finally {
    child.kill('SIGTERM')
    await Promise.race([exited, sleep(15_000)])
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await receiver.close()
    await deleteKeys(redis, `${prefix}:*`).catch((err: Error) => progress(`cleanup of Redis keys failed: ${err.message}`))
    await redis.quit()
    await dropDatabase(cfg).catch((err: Error) => progress(`dropping ${cfg.clickhouse.database} failed: ${err.message}`))
  }
}

function printAlertsResults(o: AlertsBenchOptions, cfg: AdwatchConfig, m: { tput: number[]; raw: number[]; p50: number[]; p99: number[] }): void {
  const { tput, raw, p50, p99 } = m
  const t = summarize(tput)
  const b = summarize(raw)
  const l50 = summarize(p50)
  const l99 = summarize(p99)
  const fmtMs = (n: number) => `${Math.round(n)} ms`
  console.log(`\nalerts: medians of ${o.repetitions} repetitions from one run (alerts process with default settings, local signed-webhook receiver)\n`)
  console.log(
    renderTable(
      ['measure', 'median', 'min', 'max'],
      [
        [`notifications/s through the outbox (${formatRate(o.notifications)} at once, one receiver)`, formatRate(t.median), formatRate(t.min), formatRate(t.max)],
        ['bare sequential POSTs/s to the same receiver', formatRate(b.median), formatRate(b.min), formatRate(b.max)],
        ['ratio outbox / bare POSTs', (t.median / b.median).toFixed(2), '', ''],
        [`verdict ▸ receiver p50 (${o.rate}/s for ${o.latencySeconds} s, new groups)`, fmtMs(l50.median), fmtMs(l50.min), fmtMs(l50.max)],
        ['verdict ▸ receiver p99', fmtMs(l99.median), fmtMs(l99.min), fmtMs(l99.max)],
      ],
    ),
  )
  const share = l99.median / ALERT_BUDGET_P99_MS
  console.log(`\nbudget: event put ▸ receiver p99 ≤ ${ALERT_BUDGET_P99_MS} ms for a rule without \`for\`; the alerts part (verdict ▸ receiver, incl. group_wait ${cfg.alerts.groupWaitMs} ms) takes ${fmtMs(l99.median)} (${Math.round(share * 100)}%), leaving ${fmtMs(ALERT_BUDGET_P99_MS - l99.median)} for ingest and the rules tick (${cfg.rules.tickMs} ms).`)
}

function verdict(tenant: string, entity: string, account: string, atMs: number): AlertEvent {
  return {
    kind: 'firing',
    fingerprint: fingerprintOf('bench-rule', tenant, 'campaign', entity, {}),
    source: 'rule',
    sourceId: 'bench-rule',
    sourceVersion: 1,
    tenant,
    level: 'campaign',
    entity,
    account,
    campaign: entity,
    severity: 'critical',
    labels: { alertname: 'bench-rule', tenant, level: 'campaign', entity, account },
    annotations: { summary: `spend_5m $192 on ${entity}` },
    values: { spend_5m: 192 },
    explanation: 'spend_5m = 192 > 80 ✓',
    atMs,
    startsAtMs: atMs,
    endsAtMs: undefined,
  }
}

/**
 * Sequential POSTs of a notification-sized body through the alerts process's own HTTP client
 * (keep-alive), without the outbox: the yardstick of one receiver's sequential delivery; per second.
 */
async function measureRawPosts(receiver: LocalReceiver, url: string, n: number): Promise<number> {
  const http = new NodeHttpClient(10_000)
  const body = JSON.stringify({ version: '1', alerts: [verdict('raw', 'c0', 'act_1', Date.now())] })
  const signal = new AbortController().signal
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await http.post(url, body, {}, signal)
  const rate = n / ((performance.now() - t0) / 1000)
  receiver.requests.length = 0
  return rate
}

function countPath(requests: readonly ReceivedRequest[], p: string): number {
  let n = 0
  for (const r of requests) if (r.path === p && r.status === 200) n += (r.json as { alerts: unknown[] }).alerts.length
  return n
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('no latency samples')
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const t0 = Date.now()
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}
