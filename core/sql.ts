import { AdwatchError } from './errors.ts'

/**
 * The one module that turns values into ClickHouse SQL text. ClickHouse 18.16 has no
 * server-side query parameters, so every value in every query goes through `sql` below;
 * nothing else concatenates values into SQL.
 */

/** A piece of SQL text that is already safe to embed. */
export class SqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

/** A value `sql` knows how to format. */
export type SqlValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | null
  | SqlFragment
  | readonly SqlValue[]

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
}

/** Quotes a string literal: backslash, quote and control characters are escaped. */
export function quoteString(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `'${value.replace(/[\\'\n\r\t\0\b\f\x01-\x07\x0b\x0e-\x1f\x7f]/g, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`
}

/** Quotes an identifier (database, table, column) with backquotes. */
export function ident(name: string): SqlFragment {
  if (name.length === 0 || name.includes('\0')) {
    throw new AdwatchError('ADW_SQL_VALUE', `invalid SQL identifier ${JSON.stringify(name)}`)
  }
  return new SqlFragment(`\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``)
}

/** Embeds trusted SQL text as is (for keywords and statement skeletons, never for values). */
export function raw(text: string): SqlFragment {
  return new SqlFragment(text)
}

/** A DateTime literal from epoch milliseconds (second precision, as DateTime holds). */
export function dateTime(epochMs: number): SqlFragment {
  if (!Number.isFinite(epochMs) || epochMs < 0) {
    throw new AdwatchError('ADW_SQL_VALUE', `invalid timestamp ${epochMs}: expected epoch milliseconds ≥ 0`)
  }
  return new SqlFragment(`toDateTime(${Math.floor(epochMs / 1000)})`)
}

/** Formats one value as a SQL literal. */
export function formatValue(value: SqlValue): string {
  if (value instanceof SqlFragment) return value.text
  if (value === null) return 'NULL'
  if (typeof value === 'string') return quoteString(value)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new AdwatchError('ADW_SQL_VALUE', `cannot write ${value} into SQL: only finite numbers are allowed`)
    }
    return Object.is(value, -0) ? '0' : String(value)
  }
  if (value instanceof Date) return dateTime(value.getTime()).text
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`
  throw new AdwatchError('ADW_SQL_VALUE', `cannot write a value of type ${typeof value} into SQL`)
}

/**
 * Tagged template: literal parts are SQL text, every interpolation is formatted by
 * `formatValue` (strings quoted, numbers checked, fragments embedded as they are).
 */
export function sql(parts: TemplateStringsArray, ...values: SqlValue[]): SqlFragment {
  let text = parts[0] ?? ''
  for (let i = 0; i < values.length; i++) {
    text += formatValue(values[i] as SqlValue) + (parts[i + 1] ?? '')
  }
  return new SqlFragment(text)
}

/** Joins fragments with a separator (for IN lists, column lists, WHERE clauses). */
export function join(items: readonly SqlValue[], separator = ', '): SqlFragment {
  return new SqlFragment(items.map(formatValue).join(separator))
}
