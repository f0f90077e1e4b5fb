import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClickHouseClient } from '@clickhouse/client'
import { AdwatchError } from './errors.ts'
import { ident, sql } from './sql.ts'

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations')

/** One versioned migration file: `NNNN_name.sql`, statements separated by a blank-line `;`. */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly statements: readonly string[]
}

/** Reads the migration files in version order, with `{db}` replaced by the quoted database. */
export async function loadMigrations(database: string, dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort()
  const db = ident(database).text
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(path.join(dir, file), 'utf8')
      const statements = text
        .split(/;\s*(?:\n|$)/)
        .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
        .filter((s) => s.length > 0)
        .map((s) => s.replaceAll('{db}', db))
      return { version: Number(file.slice(0, 4)), name: file, statements }
    }),
  )
}

/**
 * Creates the database if needed and applies every migration not yet recorded in
 * `schema_migrations`. Statements are idempotent (IF NOT EXISTS), so two workers starting
 * at once both succeed. `admin` must be a client of an existing database (e.g. `default`).
 */
export async function migrate(admin: ClickHouseClient, database: string): Promise<number[]> {
  const db = ident(database)
  await admin.command({ query: sql`CREATE DATABASE IF NOT EXISTS ${db}`.text })
  await admin.command({
    query: sql`CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime) ENGINE = ReplacingMergeTree() ORDER BY version`.text,
  })
  const rs = await admin.query({ query: sql`SELECT DISTINCT version FROM ${db}.schema_migrations`.text, format: 'JSONEachRow' })
  const done = new Set((await rs.json<{ version: number | string }>()).map((r) => Number(r.version)))
  const applied: number[] = []
  for (const m of await loadMigrations(database)) {
    if (done.has(m.version)) continue
    for (const statement of m.statements) {
      try {
        await admin.command({ query: statement })
      } catch (err) {
        throw new AdwatchError('ADW_CH_MIGRATION', `migration ${m.name} failed: ${(err as Error).message}\nstatement: ${statement.slice(0, 300)}`, { cause: err })
      }
    }
    await admin.insert({
      table: `${db.text}.schema_migrations`,
      values: [{ version: m.version, name: m.name, applied_at: Math.floor(Date.now() / 1000) }],
      format: 'JSONEachRow',
    })
    applied.push(m.version)
  }
  return applied
}
