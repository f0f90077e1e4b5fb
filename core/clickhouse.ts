import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import type { ClickHouseConfig } from './config.ts'

/**
 * Builds a ClickHouse client for adwatch's database. Settings are chosen to behave the same
 * on Debian's ClickHouse 18.16 and on current versions: 64-bit integers come back as JSON
 * numbers on both (18.16 quotes them by default).
 */
export function createClickHouse(cfg: ClickHouseConfig, database: string = cfg.database): ClickHouseClient {
  return createClient({
    url: cfg.url,
    username: cfg.username,
    password: cfg.password,
    database,
    request_timeout: cfg.requestTimeoutMs,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    compression: { request: false, response: false },
    // adwatch logs failures itself, with context; the client's own error log would repeat them.
    log: { level: ClickHouseLogLevel.OFF },
  })
}
