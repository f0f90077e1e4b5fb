import { pino, type Logger } from 'pino'

/** Structured JSON logs on stderr (stdout stays free for status lines and CLI output). */
export function createLogger(level: string, name: string): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2))
}

export type { Logger }
