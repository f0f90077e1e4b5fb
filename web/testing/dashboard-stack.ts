import { randomBytes } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import type { ClickHouseClient } from '@clickhouse/client'
import { Redis } from 'ioredis'
import { createServer } from 'node:net'
import { SignJWT } from 'jose'
import type { AlertEvent } from '../../alerts/alert-event.ts'
import { createClickHouse } from '../../core/clickhouse.ts'
import type { AdwatchConfig } from '../../core/config.ts'
import { RedisRuleStore } from '../../rules/rule-store.ts'
import type { AdEventInput } from '../../stream/event.ts'
import { EntitySettingsStore } from '../../stream/entity-settings.ts'
import { buildCatalogue, type Campaign, type Catalogue } from '../../stream/producer/catalogue.ts'
import { putEvents } from '../../stream/producer/put-records.ts'
import { createTrafficGenerator } from '../../stream/producer/traffic.ts'
import { registerTenants } from '../../stream/tenant-directory.ts'
import { RedisKeys } from '../../stream/redis-keys.ts'
import { dropTestData } from '../../stream/testing/cleanup.ts'
import { createTestStream, integrationConfig, requireServers, spawnWorker, type WorkerProcess } from '../../stream/testing/integration-env.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const TENANT = 'acme'

/** What a browser test runs against: the real servers, a worker, the rules engine, a gateway and a producer. */
export interface DashboardStack {
  readonly cfg: AdwatchConfig
  readonly url: string
  /** An admin JWT of the test tenant. */
  readonly token: string
  readonly catalogue: Catalogue
  readonly redis: Redis
  /** Events put by the producer loop so far. */
  produced(): number
  /** The pids of the stack's server processes (worker, rules engine, alerts, gateway). */
  serverPids(): number[]
  /** Puts events now (a spike); resolves when Kinesis accepted them. */
  put(events: readonly AdEventInput[]): Promise<void>
  /** Saves a rule for the test tenant (as the rules CLI would). */
  saveRule(rule: unknown): Promise<void>
  /** Stops the gateway; `startGateway` starts a new one on the same port (a restart). */
  stopGateway(): Promise<void>
  startGateway(): Promise<void>
  /** When (epoch ms) the rules engine logged the first firing of an entity (its alert event's `atMs`). */
  alertLoggedAt(entity: string): Promise<number>
  close(): Promise<void>
}

export interface DashboardStackOptions {
  readonly name: string
  readonly campaigns: number
  /** Producer events per second (day curve off, so the rate is steady). */
  readonly ratePerSec: number
  readonly env?: Record<string, string>
}

/**
 * Starts the stack for a browser test on the servers scripts/test runs: its own stream, key
 * prefix and ClickHouse database; a consumer worker, the rules engine and the gateway (port
 * picked here, serving web/dist, JWTs with a random HS256 secret) as child processes, each on
 * its own event loop; and a producer loop in this process putting synthetic traffic for one
 * tenant in real time. Resolves once the worker has folded the first events.
 */
export async function startDashboardStack(opts: DashboardStackOptions): Promise<DashboardStack> {
  const secret = randomBytes(24).toString('hex')
  const { cfg, env } = integrationConfig(opts.name, {
    ADW_GATEWAY_PORT: '0',
    ADW_JWT_SECRET: secret,
    ADW_GATEWAY_WEB_DIR: path.join(ROOT, 'web/dist'),
    ADW_GATEWAY_MAX_SUBSCRIPTIONS: String(opts.campaigns + 100),
    ADW_GATEWAY_RATE_LIMIT_KEY_MAX: '100000',
    ADW_LOG_LEVEL: 'warn',
    ...opts.env,
  })
  await requireServers(cfg)
  const kinesis = await createTestStream(cfg, 2)
  const redis = new Redis(cfg.redis.url)
  const ch = createClickHouse(cfg.clickhouse)
  const catalogue = buildCatalogue({ seed: 7, tenants: 1, campaigns: opts.campaigns, names: [TENANT] })
  await registerTenants(redis, cfg.redis.keyPrefix, [TENANT])
  const settings = new EntitySettingsStore(redis, cfg.redis.keyPrefix)
  for (const a of catalogue.accounts) await settings.setAccount(TENANT, a.id, { timeZone: a.timeZone })
  await Promise.all(catalogue.campaigns.map((c) => settings.setCampaign(TENANT, c.id, { dailyBudgetMicros: c.dailyBudgetMicros })))

  const children: Array<{ name: string; child: ChildProcess; exited: Promise<unknown> }> = []
  const worker: WorkerProcess = spawnWorker(env, `${opts.name}-w1`)
  killOnExit(worker.child)
  children.push({ name: 'worker', child: worker.child, exited: worker.exited })
  children.push(spawnChild(env, 'rules', 'rules/main.ts'))
  // The alerts process keeps the live alert state GET /alerts and acknowledgements read.
  children.push(spawnChild(env, 'alerts', 'alerts/main.ts'))

  // The gateway in its own process (its event loop apart from the producer's and the test's).
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let gatewayChild = await startGatewayProcess(env, port, url)
  // The producer: steady synthetic traffic in real time, 4 ticks a second.
  let produced = 0
  let stopping = false
  const generator = createTrafficGenerator({ catalogue, seed: 7, dayCurve: false, idPrefix: `w-${Date.now().toString(36)}` })
  let from = Date.now()
  const producerLoop = (async () => {
    while (!stopping) {
      const to = Date.now()
      const events = generator.events(from, to - from, opts.ratePerSec)
      from = to
      if (events.length > 0) {
        await putEvents(kinesis, cfg.kinesis.streamName, events, { concurrency: 2 }).catch(() => undefined)
        produced += events.length
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 250 - (Date.now() - to))))
    }
  })()

  const token = await new SignJWT({ app_metadata: { tenant: TENANT, role: 'admin' } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('web-test')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret))
  const rules = new RedisRuleStore(redis, cfg.redis.keyPrefix, Date.now)

  // The stack is up when the worker has folded the producer's first events (else: say why not).
  const statsKey = new RedisKeys(cfg.redis.keyPrefix).ingestStats(cfg.kinesis.streamName)
  const t0 = Date.now()
  while (Number((await redis.hget(statsKey, 'events')) ?? 0) === 0) {
    const dead = children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null)
    if (dead !== undefined || Date.now() - t0 > 60_000) {
      stopping = true
      await producerLoop
      const logFile = path.join(os.tmpdir(), 'adwatch-it-logs', `${env.ADW_KINESIS_STREAM}-${dead?.name === 'rules' || dead?.name === 'alerts' ? dead.name : `${opts.name}-w1`}.log`)
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-12).join('\n') : '(no log)'
      for (const c of [...children, gatewayChild]) c.child.kill('SIGKILL')
      throw new Error(`${dead === undefined ? 'no event was folded within 60 s' : `the ${dead.name} process exited`}; ${logFile}:\n${tail}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }

  return {
    cfg,
    url,
    token,
    catalogue,
    redis,
    produced: () => produced,
    serverPids: () => [...children, gatewayChild].flatMap((c) => (c.child.pid === undefined ? [] : [c.child.pid])),
    async put(events) {
      await putEvents(kinesis, cfg.kinesis.streamName, events, { concurrency: 2 })
    },
    async saveRule(rule) {
      await rules.save(TENANT, rule, 'web-test')
    },
    async stopGateway() {
      gatewayChild.child.kill('SIGTERM')
      await gatewayChild.exited
    },
    async startGateway() {
      gatewayChild = await startGatewayProcess(env, port, url)
    },
    async alertLoggedAt(entity) {
      const events = await redis.xrange(new RedisKeys(cfg.redis.keyPrefix).alertEvents(TENANT), '-', '+')
      for (const [id, fields] of events) {
        const e = JSON.parse(fields[1] ?? '{}') as AlertEvent
        if (e.entity === entity && e.kind === 'firing') return Number(id.split('-')[0])
      }
      return Number.NaN
    },
    async close() {
      stopping = true
      await producerLoop
      gatewayChild.child.kill('SIGTERM')
      children.push(gatewayChild)
      for (const c of children) c.child.kill('SIGTERM')
      await Promise.race([Promise.all(children.map((c) => c.exited)), new Promise((r) => setTimeout(r, 15_000))])
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL')
      await dropTestData(cfg, { redis, ch: ch as ClickHouseClient, kinesis: kinesis as KinesisClient })
    },
  }
}

/** Spend events for one campaign, all in this minute: a spike the producer's traffic never reaches. */
export function spikeEvents(c: Campaign, spendMicros: number, count = 20): AdEventInput[] {
  const now = Date.now()
  return Array.from({ length: count }, (_, i) => ({
    id: `spike-${now.toString(36)}-${i}`,
    ts: now,
    tenant: c.tenant,
    platform: c.platform,
    account: c.account,
    campaign: c.id,
    type: 'spend' as const,
    spend_micros: Math.round(spendMicros / count),
    currency: c.currency,
  }))
}

function spawnChild(env: Record<string, string>, name: string, script: string): { name: string; child: ChildProcess; exited: Promise<unknown> } {
  const dir = path.join(os.tmpdir(), 'adwatch-it-logs')
  mkdirSync(dir, { recursive: true })
  const out = createWriteStream(path.join(dir, `${env.ADW_KINESIS_STREAM}-${name}.log`), { flags: 'a' })
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout?.pipe(out)
  child.stderr?.pipe(out)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  killOnExit(child)
  return { name, child, exited }
}

/** Kills a child when this process exits without closing the stack (a failed or timed-out test). */
function killOnExit(child: ChildProcess): void {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  process.once('exit', kill)
  child.once('exit', () => process.removeListener('exit', kill))
}

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/** Starts `gateway/main.ts` on `port`; resolves once /health answers. */
async function startGatewayProcess(env: Record<string, string>, port: number, url: string): Promise<{ name: string; child: ChildProcess; exited: Promise<unknown> }> {
  const g = spawnChild({ ...env, ADW_GATEWAY_PORT: String(port) }, 'gateway', 'gateway/main.ts')
  const t0 = Date.now()
  for (;;) {
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false)
    if (ok) return g
    // A cold start compiles the gateway's TypeScript (tsx): allow for a loaded machine.
    if (g.child.exitCode !== null || Date.now() - t0 > 150_000) throw new Error(`the gateway did not answer on ${url} (see ${os.tmpdir()}/adwatch-it-logs/${env.ADW_KINESIS_STREAM}-gateway.log)`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
