import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Redis } from 'ioredis'
import { createClickHouse } from '../../core/clickhouse.ts'
import type { AdwatchConfig } from '../../core/config.ts'
import { ident, sql } from '../../core/sql.ts'
import { integrationConfig } from '../../stream/testing/integration-env.ts'
import { fingerprintOf, type AlertEvent } from '../alert-event.ts'
import type { Level } from '../../stream/event.ts'

/**
 * Setup of the alerts integration tests: a config with its own key prefix and database and
 * fast pipeline timings, checks that Redis and ClickHouse (and Alertmanager when asked)
 * answer — a missing server fails the test —, alert events as the rules engine writes them,
 * the alerts process as a child that can be SIGKILLed, and cleanup.
 */
export function alertsTestConfig(name: string, overrides: Record<string, string> = {}): { cfg: AdwatchConfig; env: Record<string, string> } {
  return integrationConfig(name, {
    ADW_ALERTS_TICK_MS: '50',
    ADW_ALERTS_LEASE_TTL_MS: '5000',
    ADW_ALERTS_LEASE_RENEW_MS: '1000',
    ADW_ALERTS_GROUP_WAIT_MS: '200',
    ADW_ALERTS_GROUP_INTERVAL_MS: '1000',
    ADW_ALERTS_RETRY_BASE_MS: '200',
    ADW_ALERTS_RETRY_MAX_MS: '2000',
    ADW_ALERTS_MAX_ATTEMPTS: '100',
    ADW_ALERTS_BREAKER_FAILURES: '5',
    ADW_ALERTS_BREAKER_OPEN_MS: '2000',
    ADW_ALERTS_HTTP_TIMEOUT_MS: '2000',
    ADW_ALERTS_ALLOW_INSECURE_RECEIVERS: 'true',
    ADW_ALERTS_WORKER_ID: `it-alerts-${process.pid}`,
    ADW_LOG_LEVEL: 'warn',
    ...overrides,
  })
}

/** Fails with a clear message unless Redis and ClickHouse (and, if given, Alertmanager) answer. */
export async function requireAlertServers(cfg: AdwatchConfig, o: { alertmanager?: boolean } = {}): Promise<void> {
  const redis = new Redis(cfg.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  try {
    await redis.connect()
    await redis.ping()
  } catch (err) {
    throw new Error(`Redis at ${cfg.redis.url} does not answer (${(err as Error).message}); run the tests with \`npm test\`, which starts it`)
  } finally {
    redis.disconnect()
  }
  const ch = createClickHouse(cfg.clickhouse, 'default')
  const ping = await ch.ping()
  await ch.close()
  if (!ping.success) throw new Error(`ClickHouse at ${cfg.clickhouse.url} does not answer; run the tests with \`npm test\``)
  if (o.alertmanager === true) {
    const res = await fetch(new URL('-/ready', cfg.alertmanagerUrl.endsWith('/') ? cfg.alertmanagerUrl : `${cfg.alertmanagerUrl}/`)).catch((err: Error) => err)
    if (res instanceof Error || !res.ok) throw new Error(`Alertmanager at ${cfg.alertmanagerUrl} is not ready (${res instanceof Error ? res.message : res.status}); run the tests with \`npm test\`, which starts prometheus-alertmanager`)
  }
}

/** Drops the test's database and Redis keys. */
export async function dropAlertsTestData(cfg: AdwatchConfig, redis: Redis): Promise<void> {
  const ch = createClickHouse(cfg.clickhouse, 'default')
  await ch.command({ query: sql`DROP DATABASE IF EXISTS ${ident(cfg.clickhouse.database)}`.text }).catch(() => undefined)
  await ch.close()
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${cfg.redis.keyPrefix}:*`, 'COUNT', 5000)
    cursor = next
    if (keys.length > 0) await redis.unlink(...keys)
  } while (cursor !== '0')
}

/** A lifecycle event of rule `rule` on a campaign of act_1, as the rules engine writes it. */
export function ruleEvent(kind: AlertEvent['kind'], o: { tenant: string; rule: string; entity: string; level?: Level; account?: string; startsAtMs: number; atMs: number; severity?: AlertEvent['severity']; value?: number }): AlertEvent {
  const level = o.level ?? 'campaign'
  const account = o.account ?? 'act_1'
  const value = o.value ?? 192
  return {
    kind,
    fingerprint: fingerprintOf(o.rule, o.tenant, level, o.entity, {}),
    source: 'rule',
    sourceId: o.rule,
    sourceVersion: 1,
    tenant: o.tenant,
    level,
    entity: o.entity,
    account,
    campaign: level === 'campaign' ? o.entity : '',
    severity: o.severity ?? 'critical',
    labels: { team: 'growth', alertname: o.rule, tenant: o.tenant, level, entity: o.entity, account },
    annotations: { summary: `spend_5m $${value} on ${o.entity}` },
    values: { spend_5m: value },
    explanation: kind === 'resolved' ? '' : `spend_5m = ${value} > 80 ✓`,
    atMs: o.atMs,
    startsAtMs: o.startsAtMs,
    endsAtMs: kind === 'resolved' ? o.atMs : undefined,
  }
}

/** The alerts process (`alerts/main.ts`) as a child; logs go to a file. */
export interface AlertsProcess {
  readonly child: ChildProcess
  readonly logFile: string
  readonly exited: Promise<number | string>
}

/** Starts `alerts/main.ts` with the given environment; its output goes to a log file. */
export function spawnAlertsProcess(env: Record<string, string>, name: string): AlertsProcess {
  const dir = path.join(os.tmpdir(), 'adwatch-it-logs')
  mkdirSync(dir, { recursive: true })
  const logFile = path.join(dir, `${env.ADW_REDIS_PREFIX}-${name}.log`)
  const out = createWriteStream(logFile)
  const child = spawn(process.execPath, ['--import', 'tsx', 'alerts/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout?.pipe(out)
  child.stderr?.pipe(out)
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)))
  return { child, logFile, exited }
}
