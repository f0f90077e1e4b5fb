import { sleep } from '../core/backoff.ts'
import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { createRulesRuntime } from './runtime.ts'

/** Entry point of the rules engine: `npx tsx rules/main.ts`. Ctrl-C stops it after the tick. */
async function main(): Promise<void> {
  const cfg = loadConfig()
  const log = createLogger(cfg.logLevel, 'rules')
  const runtime = createRulesRuntime(cfg, log)
  const stopper = new AbortController()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stopper.abort())
  log.info({ tickMs: cfg.rules.tickMs }, 'rules engine started')
  let slowest = 0
  let ticks = 0
  while (!stopper.signal.aborted) {
    const started = Date.now()
    try {
      const stats = await runtime.runner.tick(started)
      slowest = Math.max(slowest, stats.durationMs)
      if (++ticks % 30 === 0) {
        log.info({ entities: stats.entities, evaluations: stats.evaluations, tickMs: Math.round(stats.durationMs), slowestMs: Math.round(slowest) }, 'status')
        slowest = 0
      }
      if (stats.durationMs > cfg.rules.tickMs) log.warn({ tickMs: Math.round(stats.durationMs) }, 'tick took longer than the tick interval')
    } catch (err) {
      log.error({ err: (err as Error).message }, 'tick failed; retrying next tick')
    }
    await sleep(Math.max(0, cfg.rules.tickMs - (Date.now() - started)), stopper.signal)
  }
  await runtime.close()
  log.info('rules engine stopped')
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string }
  process.stderr.write(`adwatch rules engine failed: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`)
  process.exit(1)
})
