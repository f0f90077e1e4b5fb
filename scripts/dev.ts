import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, openSync } from 'node:fs'
import path from 'node:path'
import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import { loadConfig } from '../core/config.ts'
import { nodeArgsOf } from '../core/node-flags.ts'
import { ident, sql } from '../core/sql.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { buildCatalogue } from '../stream/producer/catalogue.ts'
import { EntitySettingsStore } from '../stream/entity-settings.ts'
import { registerTenants } from '../stream/tenant-directory.ts'
import { RedisRuleStore } from '../rules/rule-store.ts'
import { readdirSync, readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { RedisApiKeyStore } from '../gateway/auth/api-key-store.ts'

/**
 * The local run: starts the servers (scripts/services), registers the synthetic tenants and
 * their accounts' time zones, starts consumer workers and the producer as child processes,
 * prints a status line, and on Ctrl-C stops the children (each finishes its batch) and then
 * the servers. Nothing it started outlives it.
 */
const WORKERS = Number(process.env.ADW_DEV_WORKERS ?? 2)
const STATUS_EVERY_MS = 3_000

function services(...args: string[]): string {
  const res = spawnSync('bash', ['scripts/services', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (res.status !== 0) throw new Error(`scripts/services ${args.join(' ')} failed (exit ${res.status})`)
  return res.stdout
}

async function main(): Promise<void> {
  services('start', '--without-alertmanager')
  const serverEnv = Object.fromEntries(
    services('env')
      .split('\n')
      .map((l) => /^export ([A-Z0-9_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  )
  // The gateway's HS256 secret: yours if set, else a fresh one per run (the dev token below is signed with it).
  const env = { ...process.env, ...serverEnv, ADW_JWT_SECRET: process.env.ADW_JWT_SECRET ?? randomBytes(36).toString('base64url') }
  const cfg = loadConfig(env)
  const logDir = path.join(process.env.ADW_SERVICES_DIR ?? path.join(process.env.TMPDIR ?? '/tmp', 'adwatch-services'), 'logs')
  mkdirSync(logDir, { recursive: true })

  const redis = new Redis(cfg.redis.url)
  const catalogue = buildCatalogue({ seed: cfg.producer.seed, tenants: cfg.producer.tenants, campaigns: cfg.producer.campaigns })
  await registerTenants(redis, cfg.redis.keyPrefix, catalogue.tenants.map((t) => t.name))
  const settings = new EntitySettingsStore(redis, cfg.redis.keyPrefix)
  for (const t of catalogue.tenants) {
    for (const a of t.accounts) {
      await settings.setAccount(t.name, a.id, { timeZone: a.timeZone })
      for (const c of a.campaigns) await settings.setCampaign(t.name, c.id, { dailyBudgetMicros: c.dailyBudgetMicros })
    }
  }

  // Example rules (rules/examples) for every synthetic tenant that has no rules yet.
  const ruleStore = new RedisRuleStore(redis, cfg.redis.keyPrefix, Date.now)
  const examples = readdirSync('rules/examples').filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(`rules/examples/${f}`, 'utf8')) as unknown)
  for (const t of catalogue.tenants) {
    if ((await ruleStore.list(t.name)).length === 0) for (const r of examples) await ruleStore.save(t.name, r, 'npm start')
  }

  const children: Array<{ name: string; child: ChildProcess }> = []
  const start = (name: string, script: string, extraEnv: Record<string, string> = {}) => {
    const log = openSync(path.join(logDir, `${name}.log`), 'a')
    // detached: a terminal's Ctrl-C reaches this process only; children stop in order below.
    const child = spawn(process.execPath, nodeArgsOf(script), { env: { ...env, ...extraEnv }, stdio: ['ignore', log, log], detached: true })
    children.push({ name, child })
    child.on('exit', (code, signal) => {
      if (!stopping) console.log(`adwatch: ${name} exited (${signal ?? code}); see ${path.join(logDir, `${name}.log`)}`)
    })
  }
  for (let i = 1; i <= WORKERS; i++) start(`worker-${i}`, 'stream/main.ts', { ADW_WORKER_ID: `dev-worker-${i}` })
  start('producer', 'stream/producer/main.ts')
  start('rules', 'rules/main.ts')
  // The alert pipeline; without a routing config a tenant's notifications go to its log (alerts.log).
  start('alerts', 'alerts/main.ts', { ADW_ALERTS_WORKER_ID: 'dev-alerts', ADW_ALERTS_DEFAULT_RECEIVER: 'log' })
  // The detectors: their findings become alerts in each tenant's alert event log, which the alerts process routes.
  // An entity is judged once it has an hour of history (a fresh run: after about an hour; ADW_DETECT_NEW_ENTITY_RETRAIN_MIN).
  start('detectors', 'detectors/main.ts', { ADW_DETECT_RUNNER_ID: 'dev-detectors' })
  // The dashboard the gateway serves (web/dist), built fresh so the printed link opens this checkout's.
  const web = spawnSync(process.execPath, ['--import', 'tsx', 'web/build.ts'], { stdio: ['ignore', 'inherit', 'inherit'] })
  if (web.status !== 0) throw new Error(`building the dashboard failed (exit ${web.status}); run \`node --import tsx web/build.ts\` to see why`)
  start('gateway', 'gateway/main.ts')

  // Ready-made credentials for the first synthetic tenant: an admin JWT (12 h) and an admin API key.
  const devTenant = catalogue.tenants[0]!.name
  const devToken = await new SignJWT({ app_metadata: { tenant: devTenant, role: 'admin' } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('dev')
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(cfg.gateway.jwt.secret!))
  const devKey = (await new RedisApiKeyStore(redis, cfg.redis.keyPrefix).create({ tenant: devTenant, role: 'admin', name: 'npm start', createdBy: 'npm start', nowMs: Date.now() })).key
  const gatewayUrl = `http://${cfg.gateway.host}:${cfg.gateway.port}`

  console.log(`adwatch is running: ${WORKERS} workers, the rules engine, the detectors, the alerts process, the gateway and the synthetic producer (${cfg.producer.ratePerSec} events/s, ${catalogue.tenants.length} tenants).`)
  console.log(`  Redis       ${cfg.redis.url}   (keys ${cfg.redis.keyPrefix}:*)`)
  console.log(`  ClickHouse  ${cfg.clickhouse.url}/play   (database ${cfg.clickhouse.database}: events, rollup_minute, dead_letters)`)
  console.log(`  Kinesis     ${cfg.kinesis.endpoint}   (stream ${cfg.kinesis.streamName})`)
  console.log(`  Gateway     ${gatewayUrl}   (API docs ${gatewayUrl}/docs, Socket.IO, ${gatewayUrl}/metrics)`)
  console.log(`  Dashboard   ${gatewayUrl}/#token=${devToken}`)
  console.log(`              (opens signed in; or paste the dev token or API key below at ${gatewayUrl}/)`)
  console.log(`  Dev token   ${devToken}`)
  console.log(`              (JWT: tenant ${devTenant}, role admin, 12 h)`)
  console.log(`  Dev API key ${devKey}`)
  console.log(`  Try         curl -H "Authorization: Bearer ${devKey}" '${gatewayUrl}/api/v1/campaigns?limit=3'`)
  console.log(`  Alerts      notifications in ${path.join(logDir, 'alerts.log')} (no receivers configured; see docs/alerts.md)`)
  console.log(`  Logs        ${logDir}`)
  console.log('Ctrl-C stops every process it started.')

  const ch = createClickHouse(cfg.clickhouse)
  const statsKey = new RedisKeys(cfg.redis.keyPrefix).ingestStats(cfg.kinesis.streamName)
  let last = { events: 0, at: Date.now() }
  const status = setInterval(() => {
    void (async () => {
      try {
        const s = await redis.hgetall(statsKey)
        const events = Number(s.events ?? 0)
        const now = Date.now()
        const rate = ((events - last.events) * 1000) / (now - last.at)
        last = { events, at: now }
        const db = ident(cfg.clickhouse.database)
        const rs = await ch.query({ query: sql`SELECT (SELECT count() FROM ${db}.events) AS events, (SELECT sum(spend_micros) FROM ${db}.rollup_minute) AS spend, (SELECT count() FROM ${db}.dead_letters) AS dead`.text, format: 'JSONEachRow' })
        const [row] = await rs.json<{ events: number; spend: number; dead: number }>()
        console.log(
          `status: ${Math.round(rate)} events/s | Redis: ${events} events, ${s.duplicates ?? 0} duplicates, ${s.dead_letters ?? 0} dead letters | ClickHouse: ${row?.events ?? 0} events, $${((row?.spend ?? 0) / 1e6).toFixed(2)} spend, ${row?.dead ?? 0} dead letters`,
        )
      } catch (err) {
        console.log(`status: unavailable (${(err as Error).message})`)
      }
    })()
  }, STATUS_EVERY_MS)

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    clearInterval(status)
    console.log('\nadwatch: stopping the producer and workers (each finishes its batch)…')
    await Promise.all(
      children.map(({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          const kill = setTimeout(() => child.kill('SIGKILL'), 15_000)
          child.once('exit', () => {
            clearTimeout(kill)
            resolve()
          })
          child.kill('SIGTERM')
        }),
      ),
    )
    await Promise.allSettled([redis.quit(), ch.close()])
    console.log('adwatch: stopping the servers…')
    services('stop')
    console.log('adwatch: stopped.')
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
}

main().catch((err: unknown) => {
  console.error(`adwatch: ${(err as Error).message}`)
  try {
    services('stop')
  } catch {
    // already reported
  }
  process.exit(1)
})
