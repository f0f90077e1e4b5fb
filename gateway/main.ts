import { loadConfig } from '../core/config.ts'
import { createLogger } from '../core/log.ts'
import { startGatewayRuntime } from './runtime.ts'

/** Entry point of one gateway: `npx tsx gateway/main.ts`. Ctrl-C (or SIGTERM) stops it gracefully. */
async function main(): Promise<void> {
  const cfg = loadConfig()
  const log = createLogger(cfg.logLevel, 'gateway')
  const runtime = await startGatewayRuntime(cfg, log)
  const url = await runtime.gateway.listen()
  log.info({ url, docs: `${url}/docs`, stream: cfg.kinesis.streamName }, 'gateway listening')
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) process.exit(1)
    stopping = true
    log.info({ signal }, 'stopping: closing sockets and the server')
    await runtime.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string }
  process.stderr.write(`adwatch gateway failed to start: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`)
  process.exit(1)
})
