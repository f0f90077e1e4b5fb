import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { Redis } from 'ioredis'
import { createClickHouse } from '../../core/clickhouse.ts'
import { loadConfig, type AdwatchConfig } from '../../core/config.ts'
import { createKinesisClient } from '../../core/kinesis-client.ts'
import { migrate } from '../../core/migrate.ts'
import { nodeArgsOf } from '../../core/node-flags.ts'
import { sleep } from '../../core/backoff.ts'

/**
 * Shared setup of the integration tests: a config with its own stream, key prefix and
 * ClickHouse database (so test files never see each other's data), checks that the real
 * servers started by scripts/test answer (a missing server fails the test, never skips it),
 * and worker child processes that can be SIGKILLed.
 */
export function integrationConfig(name: string, overrides: Record<string, string> = {}): { cfg: AdwatchConfig; env: Record<string, string> } {
  const suffix = `${name}_${Date.now().toString(36)}_${process.pid}`
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ADW_KINESIS_STREAM: `it-${suffix}`,
    ADW_REDIS_PREFIX: `it-${suffix}`.slice(0, 32),
    ADW_CLICKHOUSE_DB: `it_${suffix}`.replace(/[^A-Za-z0-9_]/g, '_'),
    ADW_LOG_LEVEL: 'info',
    ...overrides,
  }
  return { cfg: loadConfig(env), env }
}

/** Fails with a clear message unless Redis, ClickHouse and Kinesis answer. */
export async function requireServers(cfg: AdwatchConfig): Promise<void> {
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
  const res = await fetch(cfg.kinesis.endpoint ?? '').catch((err: Error) => err)
  if (res instanceof Error) throw new Error(`Kinesis at ${cfg.kinesis.endpoint} does not answer (${res.message}); run the tests with \`npm test\``)
}

/** Creates the test's stream and its ClickHouse database; returns a Kinesis client. */
export async function createTestStream(cfg: AdwatchConfig, shards: number): Promise<KinesisClient> {
  const kinesis = createKinesisClient(cfg.kinesis)
  await kinesis.send(new CreateStreamCommand({ StreamName: cfg.kinesis.streamName, ShardCount: shards }))
  for (;;) {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: cfg.kinesis.streamName }))
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break
    await sleep(50)
  }
  const admin = createClickHouse(cfg.clickhouse, 'default')
  await migrate(admin, cfg.clickhouse.database)
  await admin.close()
  return kinesis
}

/** A consumer worker running as a child process (`stream/main.ts`). */
export interface WorkerProcess {
  readonly id: string
  readonly child: ChildProcess
  readonly logFile: string
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>
}

/** Starts a worker process with the test's environment; its logs go to a file. */
export function spawnWorker(env: Record<string, string>, id: string): WorkerProcess {
  const dir = path.join(os.tmpdir(), 'adwatch-it-logs')
  mkdirSync(dir, { recursive: true })
  const logFile = path.join(dir, `${env.ADW_KINESIS_STREAM}-${id}.log`)
  const out = createWriteStream(logFile)
  const child = spawn(process.execPath, nodeArgsOf('stream/main.ts'), { env: { ...env, ADW_WORKER_ID: id }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout?.pipe(out)
  child.stderr?.pipe(out)
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)))
  return { id, child, logFile, exited }
}

/** Polls `check` until it returns true or `timeoutMs` passes; then throws with `what`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<number> {
  const t0 = Date.now()
  for (;;) {
    if (await check()) return Date.now() - t0
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

