import os from 'node:os'
import type { AdwatchConfig } from '../core/config.ts'
import { spawnGateway } from '../gateway/testing/gateway-env.ts'
import { clearRepetition, freshConfig, generateEventSet, migrateDatabase } from './bench-env.ts'
import { runEventToSocket, type EventToSocketResult } from './gateway-e2e.ts'
import { runReadLoad, type ReadLoadResult } from './gateway-load.ts'
import { benchJwt, campaignsByTenant, foldIntoRedis, gatewayEnv } from './gateway-setup.ts'
import { machineBusyCpuSec, renderTable, summarize } from './stats.ts'
import { Redis } from 'ioredis'

/** Options of `npm run bench -- gateway`. */
export interface GatewayBenchOptions {
  readonly clients: number
  readonly repetitions: number
  readonly readSeconds: number
  readonly thinkMs: number
  readonly tenants: number
  readonly campaigns: number
  readonly events: number
  readonly rate: number
  readonly e2eSeconds: number
  readonly shards: number
  readonly dashboards: number
}

/** Budgets of DESIGN.md "Performance budgets" this benchmark checks. */
export const READ_P99_BUDGET_MS = 50
export const EVENT_TO_SOCKET_P99_BUDGET_MS = 1_000

const SEED = 11

/**
 * The gateway benchmark, in one run: API read latency under `clients` concurrent clients
 * (a gateway process; the load from this process) for a campaign's live windows and for a
 * page of the campaigns table, medians of p50/p99 over the repetitions; then event → socket
 * latency at `rate` events/s through the local stack (kinesalite, a worker process, a gateway
 * process, socket.io-client). Prints progress on stderr and the table on stdout.
 */
export async function runGatewayBench(base: AdwatchConfig, o: GatewayBenchOptions): Promise<void> {
  const progress = (msg: string) => process.stderr.write(`bench gateway: ${msg}\n`)
  // What else keeps the machine busy: sampled for 3 s before the benchmark starts anything.
  const before = machineBusyCpuSec()
  await new Promise((r) => setTimeout(r, 3_000))
  const backgroundCores = (machineBusyCpuSec() - before) / 3
  const cfg = freshConfig(base, 'g')
  progress(`folding ${o.events.toLocaleString('en-US')} events over ${o.campaigns} campaigns of ${o.tenants} tenants into Redis (untimed)`)
  const set = generateEventSet({ count: o.events, tenants: o.tenants, campaigns: o.campaigns, seed: SEED, nowMs: Date.now(), maxLatenessSec: base.consumer.maxLatenessSec, maxFutureSec: base.consumer.maxFutureSec })
  await migrateDatabase(cfg)
  await foldIntoRedis(cfg, set, { seed: SEED, campaigns: o.campaigns })
  const byTenant = campaignsByTenant(set, { seed: SEED, campaigns: o.campaigns })
  const tenants = [...byTenant.keys()]
  const tokens = await Promise.all(Array.from({ length: o.clients }, (_, c) => benchJwt(tenants[c % tenants.length]!, c)))

  // Rate limits stay on (their Redis round trip is part of every read) but high enough not to refuse.
  const gateway = await spawnGateway(gatewayEnv(cfg, { ADW_GATEWAY_RATE_LIMIT_KEY_MAX: '1000000000' }), 'bench-read')
  const scenarios = [
    { name: 'GET /api/v1/campaigns/:id (live windows, ratios, pacing)', path: (c: number, i: number) => { const list = byTenant.get(tenants[c % tenants.length]!)!; return `/api/v1/campaigns/${encodeURIComponent(list[(c * 7 + i) % list.length]!)}` } },
    { name: 'GET /api/v1/campaigns?limit=50 (table page, sorted by spend)', path: () => '/api/v1/campaigns?limit=50' },
  ]
  const reads: Array<{ name: string; runs: ReadLoadResult[]; saturated: ReadLoadResult }> = []
  const load = (path: (c: number, i: number) => string, thinkMs: number) =>
    runReadLoad({ baseUrl: gateway.url, clients: o.clients, pathOf: path, headersOf: (c) => ({ authorization: `Bearer ${tokens[c]}` }), warmupMs: 2_000, durationMs: o.readSeconds * 1000, thinkMs })
  const checked = (name: string, r: ReadLoadResult) => {
    if (r.errors > 0) throw new Error(`${name}: ${r.errors} answers were not 200 (${[...r.statusCounts].map(([k, v]) => `${k}: ${v}`).join(', ')})`)
    progress(`  p50 ${r.latency.p50.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms, ${Math.round(r.requestsPerSec)} req/s`)
    return r
  }
  try {
    for (const s of scenarios) {
      const runs: ReadLoadResult[] = []
      for (let rep = 1; rep <= o.repetitions; rep++) {
        progress(`${s.name}: repetition ${rep}/${o.repetitions}, ${o.clients} clients, ${o.thinkMs} ms think time, ${o.readSeconds} s`)
        runs.push(checked(s.name, await load(s.path, o.thinkMs)))
      }
      progress(`${s.name}: saturation, ${o.clients} clients without think time, ${o.readSeconds} s`)
      reads.push({ name: s.name, runs, saturated: checked(s.name, await load(s.path, 0)) })
    }
  } finally {
    await gateway.stop()
    const redis = new Redis(cfg.redis.url)
    await clearRepetition(redis, cfg)
    redis.disconnect()
  }

  progress(`event → socket: ${o.rate.toLocaleString('en-US')} events/s for ${o.e2eSeconds} s through kinesalite (${o.shards} shards), a worker and a gateway`)
  const e2e: EventToSocketResult = await runEventToSocket(freshConfig(base, 'e'), { rate: o.rate, seconds: o.e2eSeconds, shards: o.shards, tenants: o.tenants, campaigns: o.campaigns, dashboards: o.dashboards, progress })

  const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'never')
  const rows: string[][] = []
  for (const { name, runs, saturated } of reads) {
    const p50 = summarize(runs.map((r) => r.latency.p50)).median
    const p99 = summarize(runs.map((r) => r.latency.p99)).median
    const rps = summarize(runs.map((r) => r.requestsPerSec)).median
    rows.push([`API read, ${o.clients} clients, ${o.thinkMs} ms think: ${name}`, ms(p50), ms(p99), `${Math.round(rps).toLocaleString('en-US')} req/s`, `p99 <= ${READ_P99_BUDGET_MS} ms`, p99 <= READ_P99_BUDGET_MS ? 'yes' : 'NO'])
    rows.push([`  saturation, ${o.clients} clients, no think time (one run)`, ms(saturated.latency.p50), ms(saturated.latency.p99), `${Math.round(saturated.requestsPerSec).toLocaleString('en-US')} req/s`, '', ''])
  }
  rows.push([
    `event -> socket update at ${Math.round(e2e.achievedRate).toLocaleString('en-US')} events/s (${e2e.probes} probes${e2e.late > 0 ? `, ${e2e.late} not back 10 s after the run` : ''})`,
    ms(e2e.latency.p50),
    ms(e2e.latency.p99),
    `max ${ms(e2e.latency.max)}`,
    `p99 <= ${EVENT_TO_SOCKET_P99_BUDGET_MS} ms`,
    e2e.latency.p99 <= EVENT_TO_SOCKET_P99_BUDGET_MS ? 'yes' : 'NO',
  ])
  rows.push(['  of which put -> folded into Redis (consumer)', ms(e2e.putToFold.p50), ms(e2e.putToFold.p99), '', '', ''])
  rows.push(['  of which folded -> socket (gateway: feed poll, coalescing, push)', ms(e2e.foldToSocket.p50), ms(e2e.foldToSocket.p99), '', '', ''])
  console.log(
    `adwatch gateway benchmark: ${os.cpus().length} cores (${backgroundCores.toFixed(2)} of them busy with other work just before the run), ` +
      `Node ${process.version}; reads: ${o.clients} concurrent keep-alive ` +
      `clients against one gateway process, each sending its next request ${o.thinkMs} ms after its answer (saturation rows: at once), ` +
      `${o.readSeconds} s after 2 s warm-up, median of ${o.repetitions} repetitions; ${o.campaigns} campaigns over ${o.tenants} tenants; ` +
      `latency = request written to answer read`,
  )
  console.log(renderTable(['what', 'p50', 'p99', 'throughput', 'budget', 'met'], rows))
  console.log(
    `event -> socket: put ${e2e.putEvents.toLocaleString('en-US')} events in ${o.e2eSeconds} s (KPL-aggregated per shard) to ${o.shards} shards; one worker process, ` +
      `one gateway process, ${o.dashboards} dashboard sockets watching 25 campaigns each; consumer lag at the end ${ms(e2e.finalLagMs)}; latency = PutRecords call start ` +
      `to the socket.io-client receiving the first window that counts the probe`,
  )
  if (rows.some((r) => r[5] === 'NO')) process.exitCode = 1
}
