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
    // The server closes a keep-alive socket after keep_alive_timeout (3 s on 18.16); the client
    // drops idle sockets after 2.5 s on a timer, which fires late when the event loop is busy, so
    // a socket the server already closed was reused ("socket hang up", EPIPE) and the insert
    // backed off. Checking a socket's idle time when it is taken closes that race.
    keep_alive: { enabled: true, idle_socket_ttl: 2_500, eagerly_destroy_stale_sockets: true },
    // adwatch logs failures itself, with context; the client's own error log would repeat them.
    log: { level: ClickHouseLogLevel.OFF },
  })
}
