import { DeleteStreamCommand } from '@aws-sdk/client-kinesis'
import { Redis } from 'ioredis'
import type { AdwatchConfig } from '../core/config.ts'
import { connectSocket, spawnGateway, type ClientSocket } from '../gateway/testing/gateway-env.ts'
import type { WindowUpdate } from '../gateway/socket-events.ts'
import { listOpenShards } from '../stream/producer/ensure-stream.ts'
import { putEvents, type PutInput } from '../stream/producer/put-records.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { createTestStream, spawnWorker } from '../stream/testing/integration-env.ts'
import { clearRepetition, generateEventSet, registerEventSet } from './bench-env.ts'
import { latencySummary, type LatencySummary } from './gateway-load.ts'
import { benchJwt, campaignsByTenant, gatewayEnv } from './gateway-setup.ts'

/** What the event → socket run measured. */
export interface EventToSocketResult {
  readonly latency: LatencySummary
  readonly probes: number
  readonly putEvents: number
  readonly achievedRate: number
  readonly finalLagMs: number
}

const TICK_MS = 50
const PROBE_EVERY_MS = 100
const PROBE_CAMPAIGNS = 20
const DASHBOARD_ENTITIES = 25
const MAX_PUTS_IN_FLIGHT = 2

/**
 * Puts `rate` events/s (KPL-aggregated per shard) for `seconds` into a fresh stream, consumed by a worker process and
 * served by a gateway process, with `dashboards` sockets each watching 25 busy campaigns. Every 100 ms one
 * probe event (one impression) goes to one of 20 probe campaigns a socket.io-client watches;
 * a probe's latency runs from the start of the PutRecords call that carries it to the arrival
 * of the first window update whose 1 h impressions count it.
 */
export async function runEventToSocket(
  cfg: AdwatchConfig,
  o: { rate: number; seconds: number; shards: number; tenants: number; campaigns: number; dashboards: number; progress: (msg: string) => void },
): Promise<EventToSocketResult> {
  const total = o.rate * o.seconds
  o.progress(`generating ${total.toLocaleString('en-US')} events (untimed)`)
  const set = generateEventSet({ count: total, tenants: o.tenants, campaigns: o.campaigns, seed: 12, nowMs: Date.now(), maxLatenessSec: cfg.consumer.maxLatenessSec, maxFutureSec: cfg.consumer.maxFutureSec })
  const kinesis = await createTestStream(cfg, o.shards)
  const redis = new Redis(cfg.redis.url)
  await registerEventSet(redis, cfg, set)
  const env = gatewayEnv(cfg)
  // Each aggregated Kinesis record carries ~100 events: a GetRecords page of 200 records is
  // ~20,000 events, the size of batch the worker is tuned for (its default 5,000 counts records).
  const worker = spawnWorker({ ...env, ADW_BATCH_MAX_RECORDS: '200' }, 'bench-e2e-worker')
  const gateway = await spawnGateway(env, 'bench-e2e')
  const sockets: ClientSocket[] = []
  try {
    const byTenant = campaignsByTenant(set, { seed: 12, campaigns: o.campaigns })
    const tenants = [...byTenant.keys()]
    const probeTenant = tenants[0]!
    // Dashboards: sockets watching a page of their tenant's campaigns, so pushes flow while probes are timed.
    for (let d = 0; d < o.dashboards; d++) {
      const tenant = tenants[d % tenants.length]!
      const s = await connectSocket(gateway.url, await benchJwt(tenant, 1000 + d))
      const list = byTenant.get(tenant)!
      const entities = Array.from({ length: Math.min(DASHBOARD_ENTITIES, list.length) }, (_, i) => ({ level: 'campaign' as const, id: list[(d * 13 + i) % list.length]! }))
      const ack = await s.emitWithAck('subscribe', { entities })
      if (!ack.ok) throw new Error(`dashboard subscribe failed: ${ack.error.message}`)
      sockets.push(s)
    }
    const probeSocket = await connectSocket(gateway.url, await benchJwt(probeTenant, 0))
    sockets.push(probeSocket)
    const probeIds = Array.from({ length: PROBE_CAMPAIGNS }, (_, k) => `probe-${k}`)
    const ack = await probeSocket.emitWithAck('subscribe', { entities: probeIds.map((id) => ({ level: 'campaign' as const, id })) })
    if (!ack.ok) throw new Error(`probe subscribe failed: ${ack.error.message}`)

    const sent = probeIds.map(() => [] as number[]) // per probe campaign: put start (ms) of probe n (index n-1)
    const resolved = probeIds.map(() => 0)
    const lastSeen = probeIds.map(() => -1)
    const latencies: number[] = []
    probeSocket.on('windows', (u: WindowUpdate) => {
      const k = probeIds.indexOf(u.id)
      if (k < 0) return
      const now = Date.now()
      const counted = u.windows['1h'].impressions
      lastSeen[k] = counted
      while (resolved[k]! < counted && resolved[k]! < sent[k]!.length) latencies.push(now - sent[k]![resolved[k]!++]!)
    })

    // KPL-aggregated per shard, as a producer at this rate would put them (and as kinesalite, one
    // Node process, can serve them: 10,000 separate records/s in and out are past its capacity).
    const shardHashRanges = await listOpenShards(kinesis, cfg.kinesis.streamName)
    o.progress(`putting ${o.rate.toLocaleString('en-US')} events/s for ${o.seconds} s (KPL-aggregated per shard)`)
    let next = 0
    let probeNo = 0
    let inFlight = 0
    let putCount = 0
    let failure: unknown
    const perTick = Math.round((o.rate * TICK_MS) / 1000)
    const statsKey = new RedisKeys(cfg.redis.keyPrefix).ingestStats(cfg.kinesis.streamName)
    const reporter = setInterval(() => {
      void redis.hget(statsKey, 'events').then((folded) => o.progress(`  put ${putCount.toLocaleString('en-US')} events, folded ${Number(folded ?? 0).toLocaleString('en-US')}, ${latencies.length} of ${sent.reduce((n, x) => n + x.length, 0)} probes back`))
    }, 5_000)
    const t0 = Date.now()
    let lastProbeAt = -Infinity
    for (let tick = 0; Date.now() - t0 < o.seconds * 1000; tick++) {
      const due = t0 + tick * TICK_MS
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
      if (failure !== undefined) throw failure
      if (inFlight >= MAX_PUTS_IN_FLIGHT) continue // Kinesis is behind: this tick's events are skipped, the achieved rate shows it
      const batch: PutInput[] = set.records.slice(next, next + perTick).map((r) => ({ data: r.data, partitionKey: r.partitionKey }))
      next += perTick
      let probe: { k: number } | undefined
      if (Date.now() - lastProbeAt >= PROBE_EVERY_MS) {
        lastProbeAt = Date.now()
        const k = probeNo++ % PROBE_CAMPAIGNS
        batch.push({ id: `probe-${probeNo}`, ts: Date.now(), tenant: probeTenant, platform: 'meta', account: 'probe-account', campaign: probeIds[k]!, type: 'impression', impressions: 1 })
        probe = { k }
      }
      inFlight++
      const startedAt = Date.now()
      if (probe !== undefined) sent[probe.k]!.push(startedAt)
      putEvents(kinesis, cfg.kinesis.streamName, batch, { aggregate: true, shardHashRanges }).then(
        () => {
          inFlight--
          putCount += batch.length
        },
        (err: unknown) => (failure = err),
      )
    }
    const elapsedSec = (Date.now() - t0) / 1000
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 10))
    const probes = sent.reduce((n, s) => n + s.length, 0)
    const deadline = Date.now() + 10_000
    while (latencies.length < probes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    clearInterval(reporter)
    if (latencies.length < probes) {
      const missing = probeIds.map((id, k) => `${id}: sent ${sent[k]!.length}, last window counted ${lastSeen[k]}`).filter((_, k) => resolved[k]! < sent[k]!.length)
      throw new Error(`${probes - latencies.length} of ${probes} probes never reached the socket (${missing.join('; ')})`)
    }
    const lag = await redis.hgetall(new RedisKeys(cfg.redis.keyPrefix).consumerLag(cfg.kinesis.streamName))
    const finalLagMs = Math.max(0, ...Object.values(lag).map((v) => Number(v.split(':')[0])))
    return { latency: latencySummary(latencies), probes, putEvents: putCount, achievedRate: putCount / elapsedSec, finalLagMs }
  } finally {
    for (const s of sockets) s.close()
    await gateway.stop()
    worker.child.kill('SIGTERM')
    await worker.exited
    await kinesis.send(new DeleteStreamCommand({ StreamName: cfg.kinesis.streamName })).catch(() => undefined)
    kinesis.destroy()
    await clearRepetition(redis, cfg)
    redis.disconnect()
  }
}
