import { DeleteStreamCommand } from '@aws-sdk/client-kinesis'
import { Redis } from 'ioredis'
import type { AdwatchConfig } from '../core/config.ts'
import { connectSocket, spawnGateway, type ClientSocket } from '../gateway/testing/gateway-env.ts'
import type { WindowUpdate } from '../gateway/socket-events.ts'
import { listOpenShards } from '../stream/producer/ensure-stream.ts'
import { putEvents, type PutInput } from '../stream/producer/put-records.ts'
import { RedisKeys } from '../stream/redis-keys.ts'
import { createTestStream, spawnWorker } from '../stream/testing/integration-env.ts'
import { clearRepetition, generateTrafficSet, registerEventSet } from './bench-env.ts'
import { latencySummary, type LatencySummary } from './gateway-load.ts'
import { benchJwt, campaignsByTenant, gatewayEnv } from './gateway-setup.ts'

/** What the event → socket run measured. */
export interface EventToSocketResult {
  readonly latency: LatencySummary
  /** The two legs: put → folded into Redis (the feed entry's time), folded → socket (the gateway's part). */
  readonly putToFold: LatencySummary
  readonly foldToSocket: LatencySummary
  readonly probes: number
  /** Probes that had not reached the socket 10 s after the run (counted as infinitely late). */
  readonly late: number
  readonly putEvents: number
  readonly achievedRate: number
  readonly finalLagMs: number
}

const TICK_MS = 50
const PROBE_EVERY_MS = 100
const PROBE_CAMPAIGNS = 20
const DASHBOARD_ENTITIES = 25
const MAX_PUTS_IN_FLIGHT = 2
/** Untimed warm-up at the same rate before the timed run (the worker takes its leases, its hot paths compile). */
const WARMUP_MS = 5_000
/** About how long the stream, worker, gateway and sockets take to start: the traffic's timestamps begin then. */
const SETUP_MS = 3_000

/**
 * After a 5 s untimed warm-up at the same rate (until the worker has folded it), puts `rate`
 * events/s of the synthetic producer's real-time traffic (timestamps advancing at that rate from
 * about the start of the run; KPL-aggregated per shard) for `seconds` into a fresh stream,
 * consumed by a worker process and served by a gateway process, with `dashboards` sockets each
 * watching 25 busy campaigns. Every 100 ms one probe event (one impression) goes to one of 20
 * probe campaigns a socket.io-client watches;
 * a probe's latency runs from the start of the PutRecords call that carries it to the arrival
 * of the first window update whose 1 h impressions count it.
 */
export async function runEventToSocket(
  cfg: AdwatchConfig,
  o: { rate: number; seconds: number; shards: number; tenants: number; campaigns: number; dashboards: number; progress: (msg: string) => void },
): Promise<EventToSocketResult> {
  // Real-time traffic as the synthetic producer makes it, generated before the run (untimed) with
  // timestamps from about the start of the run on, at the rate it is put: a batch touches few
  // minutes per entity, as live traffic does.
  const total = Math.ceil(o.rate * (o.seconds + WARMUP_MS / 1000 + 2))
  o.progress(`generating ${total.toLocaleString('en-US')} events of real-time traffic (untimed)`)
  const set = generateTrafficSet({ count: total, tenants: o.tenants, campaigns: o.campaigns, seed: 12, nowMs: Date.now() + SETUP_MS + (1000 * total) / o.rate, eventsPerSec: o.rate })
  let next = 0
  const perTick = Math.round((o.rate * TICK_MS) / 1000)
  const tickEvents = (): PutInput[] => set.records.slice(next, (next += perTick))
  const kinesis = await createTestStream(cfg, o.shards)
  const redis = new Redis(cfg.redis.url)
  await registerEventSet(redis, cfg, set)
  const env = gatewayEnv(cfg)
  // Each aggregated Kinesis record carries ~125 events (~30 KB): GetRecords pages of 50 records
  // (~6,000 events, ~1.5 MB) keep a catching-up worker's batches near the size it is tuned for;
  // its default of 5,000 counts records, which would be 150 MB of aggregates.
  const worker = spawnWorker({ ...env, ADW_BATCH_MAX_RECORDS: '50' }, 'bench-e2e-worker')
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
    const latencies: number[] = []
    const putToFold: number[] = []
    const foldToSocket: number[] = []
    // When each probe was folded: the time of the change-feed entry that carried it (the feed is
    // written in the same script as the counters), read from Redis beside the socket.
    const folded = probeIds.map(() => [] as number[])
    const feedReader = new Redis(cfg.redis.url)
    const feedKey = new RedisKeys(cfg.redis.keyPrefix).changes(probeTenant)
    let feedOpen = true
    const feedLoop = (async () => {
      let last = '$'
      while (feedOpen) {
        const res = await feedReader.xread('COUNT', 1000, 'BLOCK', 200, 'STREAMS', feedKey, last)
        for (const [id, fields] of res?.[0]?.[1] ?? []) {
          last = id
          const m = fields[fields.indexOf('m') + 1]
          if (m === undefined) continue
          for (const [level, entity, , impressions] of JSON.parse(m) as Array<[number, string, number, number]>) {
            const k = level === 1 ? probeIds.indexOf(entity) : -1
            for (let i = 0; k >= 0 && i < impressions; i++) {
              folded[k]!.push(Number(id.split('-')[0]))
              putToFold.push(folded[k]!.at(-1)! - sent[k]![folded[k]!.length - 1]!)
            }
          }
        }
      }
    })()
    probeSocket.on('windows', (updates: WindowUpdate[]) => {
      const now = Date.now()
      for (const u of updates) onProbeUpdate(u, now)
    })
    const onProbeUpdate = (u: WindowUpdate, now: number) => {
      const k = probeIds.indexOf(u.id)
      if (k < 0) return
      const counted = u.windows['1h'].impressions
      while (resolved[k]! < counted && resolved[k]! < sent[k]!.length) {
        const n = resolved[k]!++
        latencies.push(now - sent[k]![n]!)
        const foldedAt = folded[k]![n]
        if (foldedAt !== undefined) foldToSocket.push(now - foldedAt)
      }
    }

    // KPL-aggregated per shard, as a producer at this rate would put them (and as kinesalite, one
    // Node process, can serve them: 10,000 separate records/s in and out are past its capacity).
    const shardHashRanges = await listOpenShards(kinesis, cfg.kinesis.streamName)
    o.progress(`putting ${o.rate.toLocaleString('en-US')} events/s for ${o.seconds} s (KPL-aggregated per shard)`)
    let warmupPut = 0
    let probeNo = 0
    let inFlight = 0
    let putCount = 0
    let failure: unknown
    const statsKey = new RedisKeys(cfg.redis.keyPrefix).ingestStats(cfg.kinesis.streamName)
    const reporter = setInterval(() => {
      void redis.hget(statsKey, 'events').then((folded) => o.progress(`  put ${putCount.toLocaleString('en-US')} events, folded ${Number(folded ?? 0).toLocaleString('en-US')}, ${latencies.length} of ${sent.reduce((n, x) => n + x.length, 0)} probes back`))
    }, 5_000)
    // Warm-up, untimed: the same rate flows while the worker takes its shard leases and its hot
    // paths compile; the timed run starts once the worker has folded all of it. Latency is that
    // of a running worker; a cold start's backlog would otherwise sit in front of every probe.
    const w0 = Date.now()
    for (let tick = 0; Date.now() - w0 < WARMUP_MS; tick++) {
      const due = w0 + tick * TICK_MS
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
      const batch = tickEvents()
      warmupPut += batch.length
      await putEvents(kinesis, cfg.kinesis.streamName, batch, { aggregate: true, shardHashRanges })
    }
    // Every record put is counted once by the worker: as an event, a duplicate or a dead letter.
    const accountedFor = async () => {
      const [events, duplicates, deadLetters] = await redis.hmget(statsKey, 'events', 'duplicates', 'dead_letters')
      return Number(events ?? 0) + Number(duplicates ?? 0) + Number(deadLetters ?? 0)
    }
    for (const until = Date.now() + 60_000; Date.now() < until && (await accountedFor()) < warmupPut; ) await new Promise((r) => setTimeout(r, 100))
    o.progress(`warm-up: ${warmupPut.toLocaleString('en-US')} events put, ${(await accountedFor()).toLocaleString('en-US')} folded after ${((Date.now() - w0) / 1000).toFixed(1)} s; timing starts`)
    const t0 = Date.now()
    let lastProbeAt = -Infinity
    for (let tick = 0; Date.now() - t0 < o.seconds * 1000; tick++) {
      const due = t0 + tick * TICK_MS
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
      if (failure !== undefined) throw failure
      if (inFlight >= MAX_PUTS_IN_FLIGHT) continue // Kinesis is behind: this tick's events are skipped, the achieved rate shows it
      const batch = tickEvents()
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
    feedOpen = false
    await feedLoop
    feedReader.disconnect()
    // Probes still missing 10 s after the run count as infinitely late: the percentiles say so.
    const late = probes - latencies.length
    for (let i = 0; i < late; i++) latencies.push(Infinity)
    const lag = await redis.hgetall(new RedisKeys(cfg.redis.keyPrefix).consumerLag(cfg.kinesis.streamName))
    const finalLagMs = Math.max(0, ...Object.values(lag).map((v) => Number(v.split(':')[0])))
    return { latency: latencySummary(latencies), putToFold: latencySummary(putToFold), foldToSocket: latencySummary(foldToSocket), probes, late, putEvents: putCount, achievedRate: putCount / elapsedSec, finalLagMs }
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
