import type { ClickHouseClient } from '@clickhouse/client'
import type { SqlFragment } from '../../core/sql.ts'
import { UnavailableError } from '../errors.ts'

/** Longest a gateway read may run in ClickHouse (18.16 keeps running a query whose client left). */
const MAX_EXECUTION_SEC = 10

/** Runs a read for an API request; a ClickHouse failure becomes 503 (its detail goes to the log). */
export async function queryRows<T>(ch: ClickHouseClient, query: SqlFragment): Promise<T[]> {
  try {
    const rs = await ch.query({ query: query.text, format: 'JSONEachRow', clickhouse_settings: { max_execution_time: MAX_EXECUTION_SEC } })
    return await rs.json<T>()
  } catch (err) {
    throw new UnavailableError('ClickHouse', { cause: err })
  }
}
