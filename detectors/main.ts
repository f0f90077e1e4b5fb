import { Redis } from 'ioredis'
import { createClickHouse } from '../core/clickhouse.ts'
import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { migrate } from '../core/migrate.ts'
import { createDetectorService } from './runtime.ts'

/**
 * Entry point of the detector runner: `npx tsx detectors/main.ts`. Applies the ClickHouse
 * migrations, loads the stored models, then judges every closed minute every
 * ADW_DETECT_TICK_MS; findings are logged and become detector alerts in each tenant's alert
 * event log, which the alerts process (alerts/main.ts) routes. Ctrl-C finishes the tick in
 * progress, releases the leader lease and exits.
 */
async function main(): Promise<void> {
  const cfg = loadConfig()
  const log = createLogger(cfg.logLevel, 'detectors')
  const admin = createClickHouse(cfg.clickhouse, 'default')
  try {
    await migrate(admin, cfg.clickhouse.database)
  } finally {
    await admin.close()
  }
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 3 })
  const clickhouse = createClickHouse(cfg.clickhouse)
  const { runner, close } = createDetectorService(cfg, { redis, clickhouse }, { log })
  const controller = new AbortController()
  const stop = (signal: string) => {
    if (controller.signal.aborted) process.exit(1)
    log.info({ signal }, 'stopping the detector runner after the tick in progress')
    controller.abort()
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  log.info({ levels: cfg.detectors.levels, detectors: cfg.detectors.detectors, tickMs: cfg.detectors.tickMs, runner: cfg.detectors.runnerId }, 'detector runner started')
  await runner.run(controller.signal)
  close()
  await Promise.allSettled([redis.quit(), clickhouse.close()])
  log.info('detector runner stopped')
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string }
  process.stderr.write(`adwatch detector runner failed: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`)
  process.exit(1)
})
