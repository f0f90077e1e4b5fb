import { AuthInvalidError, AuthMissingError, ForbiddenError } from '../errors.ts'
import { looksLikeApiKey, parseApiKey, secretMatches } from './api-key-format.ts'
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.ts'
import type { JwtVerifier } from './jwt-verifier.ts'
import type { Principal } from './principal.ts'

/** Registered tenants, as the gateway knows them (TenantDirectory satisfies it). */
export interface TenantRegistry {
  isKnown(tenant: string): boolean
  /** Reloads unless a reload ran less than `minIntervalMs` ago. */
  refresh(minIntervalMs?: number): Promise<unknown>
}

/** What the Authenticator is built from. */
export interface AuthenticatorOptions {
  readonly jwt: JwtVerifier
  readonly apiKeys: ApiKeyStore
  readonly tenants: TenantRegistry
  /** How long a checked API key record is reused before Redis is asked again. */
  readonly apiKeyCacheMs: number
  readonly now: () => number
}

const JWT_CACHE_MAX = 10_000
const JWT_CACHE_MS = 60_000
const TOUCH_EVERY_MS = 60_000
const TENANT_REFRESH_MS = 1_000

/**
 * Turns a credential (a bearer JWT or an API key) into a principal, the same way for REST and
 * the socket handshake. Verified JWTs are cached by their exact text until they expire (at
 * most a minute: WebCrypto HMAC costs ~0.2 ms per verify here); API key records for
 * `apiKeyCacheMs`, and forget() drops one at once when it is revoked.
 */
export class Authenticator {
  private readonly jwtCache = new Map<string, { principal: Principal; untilMs: number }>()
  private readonly keyCache = new Map<string, { record: ApiKeyRecord | undefined; checkedAtMs: number }>()
  private readonly touchedAtMs = new Map<string, number>()

  constructor(private readonly opts: AuthenticatorOptions) {}

  /** The principal of a credential; throws ADW_AUTH_MISSING / _INVALID / _FORBIDDEN. */
  async authenticate(credential: string | undefined): Promise<Principal> {
    if (credential === undefined || credential === '') throw new AuthMissingError()
    const principal = looksLikeApiKey(credential) ? await this.fromApiKey(credential) : await this.fromJwt(credential)
    if (!this.opts.tenants.isKnown(principal.tenant)) {
      await this.opts.tenants.refresh(TENANT_REFRESH_MS)
      if (!this.opts.tenants.isKnown(principal.tenant)) throw new ForbiddenError(`tenant "${principal.tenant}" is not registered`)
    }
    return principal
  }

  /** Drops a revoked key from the cache, so it stops working here at once. */
  forget(keyId: string): void {
    this.keyCache.delete(keyId)
  }

  private async fromJwt(token: string): Promise<Principal> {
    const now = this.opts.now()
    const hit = this.jwtCache.get(token)
    if (hit !== undefined && hit.untilMs > now) return hit.principal
    const principal = await this.opts.jwt.verify(token)
    if (this.jwtCache.size >= JWT_CACHE_MAX) this.jwtCache.delete(this.jwtCache.keys().next().value as string)
    this.jwtCache.set(token, { principal, untilMs: Math.min(principal.expiresAtMs ?? Infinity, now + JWT_CACHE_MS) })
    return principal
  }

  private async fromApiKey(credential: string): Promise<Principal> {
    const parsed = parseApiKey(credential)
    if (parsed === undefined) throw new AuthInvalidError('malformed API key')
    const now = this.opts.now()
    let cached = this.keyCache.get(parsed.id)
    if (cached === undefined || now - cached.checkedAtMs >= this.opts.apiKeyCacheMs) {
      cached = { record: await this.opts.apiKeys.find(parsed.id), checkedAtMs: now }
      if (cached.record !== undefined) this.keyCache.set(parsed.id, cached)
    }
    const record = cached.record
    if (record === undefined || !secretMatches(parsed.secret, record.secretHash)) throw new AuthInvalidError('unknown API key')
    if (record.revokedAtMs !== undefined) throw new AuthInvalidError('API key revoked')
    if (now - (this.touchedAtMs.get(record.id) ?? -Infinity) >= TOUCH_EVERY_MS) {
      this.touchedAtMs.set(record.id, now)
      this.opts.apiKeys.touch(record.id, now).catch(() => this.touchedAtMs.delete(record.id))
    }
    return { kind: 'api-key', tenant: record.tenant, role: record.role, subject: `key:${record.id}`, keyId: record.id }
  }
}
