import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Ingest totals and per-shard lag, as the consumer workers publish them in Redis. */
export interface IngestStatsSource {
  read(): Promise<{ totals: Readonly<Record<string, number>>; lag: ReadonlyArray<{ shard: string; lagMs: number; reportedAtMs: number }> }>
}

/** Values other parts publish, read at scrape time (each optional until its part exists). */
export interface ExternalMetricSources {
  /** Duration of the last rules/detectors evaluation tick, ms. */
  readonly evaluationTickMs?: () => Promise<number | undefined>
  /** Notifications waiting in the alerts outbox. */
  readonly outboxDepth?: () => Promise<number | undefined>
}

/** A lag report older than this is from a shard no worker reads any more: not exported. */
const LAG_STALE_MS = 30_000

/**
 * The gateway's Prometheus metrics in their own registry (several gateways can live in one test
 * process): HTTP latency, Socket.IO traffic, HTTP ingest, and at scrape time the consumers'
 * ingest totals, ingest rate and lag per shard from Redis, plus gauges other parts set.
 */
export class GatewayMetrics {
  readonly registry = new Registry()
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>
  readonly socketConnections: Gauge
  readonly socketMessages: Counter<'event'>
  readonly ingestHttpEvents: Counter<'result'>
  readonly pushDuration: Histogram
  /** Set by the rules/detectors evaluator (or read through ExternalMetricSources). */
  readonly evaluationTickSeconds: Gauge
  /** Set by the alerts part (or read through ExternalMetricSources). */
  readonly outboxDepth: Gauge
  private lastEvents: { value: number; atMs: number } | undefined

  constructor(opts: { ingest?: IngestStatsSource; external?: ExternalMetricSources; now: () => number; defaultMetrics?: boolean }) {
    const registers = [this.registry]
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'adwatch_gateway_' })
    this.httpDuration = new Histogram({
      name: 'adwatch_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.socketConnections = new Gauge({ name: 'adwatch_socket_connections', help: 'Socket.IO connections to this gateway', registers })
    this.socketMessages = new Counter({ name: 'adwatch_socket_messages_total', help: 'Socket.IO messages emitted by this gateway, by event', labelNames: ['event'], registers })
    this.ingestHttpEvents = new Counter({ name: 'adwatch_http_ingest_events_total', help: 'Events received by POST /api/v1/events, by result', labelNames: ['result'], registers })
    this.pushDuration = new Histogram({ name: 'adwatch_socket_push_seconds', help: 'Time of one window-push round (feed poll and emits)', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25], registers })
    this.evaluationTickSeconds = new Gauge({ name: 'adwatch_evaluation_tick_seconds', help: 'Duration of the last rules and detectors evaluation tick', registers, collect: fromSource(opts.external?.evaluationTickMs, 1 / 1000) })
    this.outboxDepth = new Gauge({ name: 'adwatch_outbox_depth', help: 'Notifications waiting in the alerts outbox', registers, collect: fromSource(opts.external?.outboxDepth, 1) })

    const ingest = opts.ingest
    if (ingest !== undefined) {
      // The collectors run concurrently on each scrape: they share one read of Redis.
      let pending: { atMs: number; read: ReturnType<IngestStatsSource['read']> } | undefined
      const snapshot = () => {
        const now = opts.now()
        if (pending === undefined || now - pending.atMs > 500) pending = { atMs: now, read: ingest.read() }
        return pending.read
      }
      const totals = new Counter({
        name: 'adwatch_ingest_total',
        help: 'Records counted by the consumers\' Redis sink, by kind (events, duplicates, dead_letters, batches)',
        labelNames: ['kind'],
        registers,
        collect: async () => {
          const s = await snapshot()
          totals.reset()
          for (const [kind, v] of Object.entries(s.totals)) totals.inc({ kind }, v)
        },
      })
      const rate = new Gauge({
        name: 'adwatch_ingest_events_per_second',
        help: 'Events folded per second between this gateway\'s last two scrapes (at least 1 s apart)',
        registers,
        collect: async () => {
          const events = (await snapshot()).totals.events
          const now = opts.now()
          if (events === undefined) return
          const last = this.lastEvents
          if (last === undefined) this.lastEvents = { value: events, atMs: now }
          else if (now - last.atMs >= 1_000) {
            rate.set(((events - last.value) * 1000) / (now - last.atMs))
            this.lastEvents = { value: events, atMs: now }
          }
        },
      })
      const lag = new Gauge({
        name: 'adwatch_consumer_lag_seconds',
        help: 'How far behind the stream\'s tip each shard\'s consumer is (millisBehindLatest of its last batch)',
        labelNames: ['shard'],
        registers,
        collect: async () => {
          const s = await snapshot()
          const now = opts.now()
          lag.reset()
          for (const l of s.lag) if (now - l.reportedAtMs <= LAG_STALE_MS) lag.set({ shard: l.shard }, l.lagMs / 1000)
        },
      })
    }
  }

  /** The exposition text for /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}

function fromSource(source: (() => Promise<number | undefined>) | undefined, scale: number): ((this: Gauge) => Promise<void>) | undefined {
  if (source === undefined) return undefined
  return async function (this: Gauge) {
    const v = await source()
    if (v !== undefined) this.set(v * scale)
  }
}
