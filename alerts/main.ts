import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { createAlertsRuntime } from './runtime.ts'
import { loadSecretResolver } from './secrets.ts'

/**
 * Entry point of the alerts process: `npx tsx alerts/main.ts`. Applies the ClickHouse
 * migrations, then takes its share of the tenants and runs their pipelines and deliveries.
 * SIGINT / SIGTERM stop it gracefully: no new sends, a send in flight may finish and be
 * recorded, buffered history is written, the tenant leases are given up for another process.
 */
async function main(): Promise<void> {
  const cfg = loadConfig()
  const log = createLogger(cfg.logLevel, 'alerts')
  const secrets = loadSecretResolver(cfg.alerts.secretsFile, cfg.alerts.secretEnv)
  const runtime = createAlertsRuntime(cfg, log, { secrets })
  await runtime.migrate()
  let stopping: Promise<void> | undefined
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopping ??= (async () => {
        log.info({ signal }, 'alerts process stopping')
        await runtime.stop()
        log.info('alerts process stopped')
        process.exit(0)
      })()
    })
  }
  log.info({ worker: cfg.alerts.workerId, tickMs: cfg.alerts.tickMs, defaultReceiver: cfg.alerts.defaultReceiver }, 'alerts process started')
  await runtime.run()
  await stopping
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string }
  process.stderr.write(`adwatch alerts process failed: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`)
  process.exit(1)
})
