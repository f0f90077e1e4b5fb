import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { Redis } from 'ioredis'
import { io as connect, type Socket } from 'socket.io-client'
import { createClickHouse } from '../../core/clickhouse.ts'
import type { AdwatchConfig } from '../../core/config.ts'
import { nodeArgsOf } from '../../core/node-flags.ts'
import { dropTestData } from '../../stream/testing/cleanup.ts'
import { createTestStream, integrationConfig, requireServers } from '../../stream/testing/integration-env.ts'
import { registerTenants } from '../../stream/tenant-directory.ts'
import { RedisApiKeyStore } from '../auth/api-key-store.ts'
import type { Role } from '../auth/principal.ts'
import type { ClientToServerEvents, ServerToClientEvents } from '../socket-events.ts'
import { signTestJwt, TEST_JWT_SECRET } from './test-gateway.ts'

/** A typed socket.io-client socket. */
export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>

/**
 * Setup of the gateway's integration tests on the real servers (a missing server fails the
 * test): its own stream, key prefix and database, registered tenants, and helpers for
 * credentials and socket.io-client connections. `close()` drops everything.
 */
export interface GatewayTestEnv {
  readonly cfg: AdwatchConfig
  readonly env: Record<string, string>
  readonly redis: Redis
  readonly kinesis: KinesisClient
  jwt(tenant: string, role: Role, opts?: { expiresInSec?: number; secret?: string }): Promise<string>
  apiKey(tenant: string, role: Role): Promise<{ key: string; id: string }>
  close(): Promise<void>
}

export async function gatewayTestEnv(name: string, o: { tenants: string[]; shards?: number; overrides?: Record<string, string> }): Promise<GatewayTestEnv> {
  const { cfg, env } = integrationConfig(name, {
    ADW_JWT_SECRET: TEST_JWT_SECRET,
    ADW_GATEWAY_PORT: '0',
    ADW_GATEWAY_WEB_DIR: '/nonexistent',
    ADW_LOG_LEVEL: 'warn',
    ADW_POLL_IDLE_MS: '50',
    ADW_START_POSITION: 'TRIM_HORIZON',
    ...o.overrides,
  })
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, o.shards ?? 2)
  const redis = new Redis(cfg.redis.url)
  await registerTenants(redis, cfg.redis.keyPrefix, o.tenants)
  const keys = new RedisApiKeyStore(redis, cfg.redis.keyPrefix)
  return {
    cfg,
    env,
    redis,
    kinesis,
    jwt: (tenant, role, opts = {}) => signTestJwt({ app_metadata: { tenant, role } }, { nowMs: Date.now(), ...opts }),
    apiKey: async (tenant, role) => {
      const { key, record } = await keys.create({ tenant, role, name: 'it', createdBy: 'it', nowMs: Date.now() })
      return { key, id: record.id }
    },
    close: async () => dropTestData(cfg, { redis, ch: createClickHouse(cfg.clickhouse, 'default'), kinesis }),
  }
}

/** Connects a socket.io-client; resolves when connected, rejects with the handshake error. */
export function connectSocket(url: string, token: string | undefined): Promise<ClientSocket> {
  const socket: ClientSocket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...(token === undefined ? {} : { auth: { token } }) })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', (err) => {
      socket.close()
      reject(err)
    })
  })
}

/** Everything a socket receives, by event, with the time it arrived. */
export function recordSocket(socket: ClientSocket): Array<{ event: string; atMs: number; payload: unknown }> {
  const log: Array<{ event: string; atMs: number; payload: unknown }> = []
  // A `windows` batch is logged as one entry per update, so tests wait for and count updates.
  socket.onAny((event: string, payload: unknown) => {
    const atMs = Date.now()
    if (event === 'windows' && Array.isArray(payload)) for (const u of payload) log.push({ event, atMs, payload: u })
    else log.push({ event, atMs, payload })
  })
  return log
}

/** A gateway process (`gateway/main.ts`) with its URL, read from its "gateway listening" log line. */
export interface GatewayProcess {
  readonly url: string
  readonly child: ChildProcess
  readonly logFile: string
  stop(): Promise<void>
}

export async function spawnGateway(env: Record<string, string>, id: string, nodeArgs: readonly string[] = []): Promise<GatewayProcess> {
  const dir = path.join(os.tmpdir(), 'adwatch-it-logs')
  mkdirSync(dir, { recursive: true })
  const logFile = path.join(dir, `${env.ADW_KINESIS_STREAM}-${id}.log`)
  const out = createWriteStream(logFile)
  const child = spawn(process.execPath, nodeArgsOf('gateway/main.ts', nodeArgs), { env: { ...env, ADW_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout?.pipe(out)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error(`gateway ${id} did not start in 60 s; see ${logFile}`)), 60_000)
    child.stderr?.on('data', (chunk: Buffer) => {
      out.write(chunk)
      buffer += chunk.toString()
      const m = /"url":"(http:\/\/[^"]+)"/.exec(buffer)
      if (m !== null) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.once('exit', (code) => reject(new Error(`gateway ${id} exited with ${code}; see ${logFile}`)))
  })
  return {
    url,
    child,
    logFile,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** Resolves when `predicate` holds for something in `log`, or rejects after `timeoutMs`. */
export async function waitForEvent<T>(log: ReadonlyArray<{ event: string; atMs: number; payload: unknown }>, event: string, predicate: (payload: T) => boolean, timeoutMs: number): Promise<{ atMs: number; payload: T }> {
  const t0 = Date.now()
  for (;;) {
    const hit = log.find((e) => e.event === event && predicate(e.payload as T))
    if (hit !== undefined) return hit as { atMs: number; payload: T }
    if (Date.now() - t0 > timeoutMs) throw new Error(`no "${event}" event matched within ${timeoutMs} ms (got ${log.map((e) => e.event).join(', ') || 'nothing'})`)
    await new Promise((r) => setTimeout(r, 5))
  }
}
