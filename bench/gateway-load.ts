import http from 'node:http'

/** Latency percentiles, ms (nearest rank). */
export interface LatencySummary {
  readonly count: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** Nearest-rank percentiles of latencies in ms. */
export function latencySummary(samplesMs: readonly number[]): LatencySummary {
  if (samplesMs.length === 0) throw new Error('no latency samples')
  const s = Float64Array.from(samplesMs).sort()
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
  return { count: s.length, p50: at(0.5), p99: at(0.99), max: s[s.length - 1]! }
}

/** What one read-load run measured. */
export interface ReadLoadResult {
  readonly latency: LatencySummary
  readonly requestsPerSec: number
  readonly errors: number
  readonly statusCounts: ReadonlyMap<number, number>
}

/** A closed-loop HTTP read load: each client sends its next request when its answer has arrived. */
export interface ReadLoadOptions {
  readonly baseUrl: string
  readonly clients: number
  /** The path client `c` reads on its `i`-th request. */
  readonly pathOf: (client: number, i: number) => string
  /** Headers of client `c` (its credentials). */
  readonly headersOf: (client: number) => Record<string, string>
  readonly warmupMs: number
  readonly durationMs: number
  /** Pause between a client's answer and its next request (0: none). */
  readonly thinkMs: number
}

/**
 * Runs `clients` concurrent keep-alive clients against the gateway and times every answer
 * (request written to body fully read) after the warm-up. Answers other than 200 count as
 * errors and are left out of the latencies.
 */
export async function runReadLoad(o: ReadLoadOptions): Promise<ReadLoadResult> {
  const url = new URL(o.baseUrl)
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.clients, maxFreeSockets: o.clients })
  const samples: number[] = []
  const statusCounts = new Map<number, number>()
  let errors = 0
  const t0 = performance.now()
  const measureFrom = t0 + o.warmupMs
  const end = measureFrom + o.durationMs
  const get = (path: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request({ agent, host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
        res.on('data', () => undefined)
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    })
  const client = async (c: number): Promise<void> => {
    const headers = o.headersOf(c)
    for (let i = 0; performance.now() < end; i++) {
      const start = performance.now()
      let status = 0
      try {
        status = await get(o.pathOf(c, i), headers)
      } catch {
        status = -1
      }
      const done = performance.now()
      if (start >= measureFrom && done <= end) {
        statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1)
        if (status === 200) samples.push(done - start)
        else errors++
      }
      if (o.thinkMs > 0) await new Promise((r) => setTimeout(r, o.thinkMs))
    }
  }
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)))
  agent.destroy()
  return { latency: latencySummary(samples), requestsPerSec: (samples.length + errors) / (o.durationMs / 1000), errors, statusCounts }
}
