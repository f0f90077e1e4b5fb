import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * API keys look like `adw_<16 hex id>_<43 base64url secret>`: the id finds the stored record,
 * the 256-bit secret proves possession. Only SHA-256 of the secret is stored: a slow hash is
 * not needed for random secrets of that size, and checking one costs a microsecond.
 */
const KEY_PATTERN = /^adw_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

/** A freshly made key: the full text (shown once) and what is stored. */
export interface NewApiKey {
  readonly id: string
  readonly key: string
  readonly secretHash: string
}

/** Makes a new random key. */
export function generateApiKey(): NewApiKey {
  const id = randomBytes(8).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  return { id, key: `adw_${id}_${secret}`, secretHash: hashSecret(secret) }
}

/** Splits a key into id and secret, or undefined when it is not shaped like one. */
export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(key)
  return m === null ? undefined : { id: m[1]!, secret: m[2]! }
}

/** True when the text looks like an adwatch API key (rather than a JWT). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith('adw_')
}

/** SHA-256 of a key's secret, hex. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Compares a secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex')
  const b = Buffer.from(storedHash, 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}
