import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { startWorker } from './worker-runtime.ts'

/** Entry point of one consumer worker: `npx tsx stream/main.ts`. Ctrl-C stops it gracefully. */
async function main(): Promise<void> {
  const cfg = loadConfig()
  const log = createLogger(cfg.logLevel, 'worker')
  const runtime = await startWorker(cfg, log)
  log.info({ worker: cfg.consumer.workerId, stream: cfg.kinesis.streamName }, 'consumer started')
  const stats = runtime.consumer.stats
  let last = { events: 0, at: Date.now() }
  const timer = setInterval(() => {
    const now = Date.now()
    const rate = ((stats.events - last.events) * 1000) / Math.max(1, now - last.at)
    last = { events: stats.events, at: now }
    const lag = Math.max(0, ...stats.lagMsByShard.values())
    log.info({ shards: runtime.consumer.heldShards(), eventsPerSec: Math.round(rate), events: stats.events, duplicates: stats.duplicates, deadLetters: stats.deadLetters, maxLagMs: lag }, 'status')
  }, 5_000)
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn('second signal: exiting without finishing the batch')
      process.exit(1)
    }
    stopping = true
    log.info({ signal }, 'stopping: finishing batches, checkpointing, releasing leases')
    clearInterval(timer)
    await runtime.close()
    log.info('stopped')
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string }
  process.stderr.write(`adwatch worker failed to start: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`)
  process.exit(1)
})
