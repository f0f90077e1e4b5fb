import { createHash } from 'node:crypto'
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { JwtConfig } from '../../core/config.ts'
import { AuthInvalidError } from '../errors.ts'
import { isRole, TENANT_PATTERN, type Principal } from './principal.ts'

/** A verified JWT's principal. */
export type JwtPrincipal = Extract<Principal, { kind: 'jwt' }>

/** What JwtVerifier checks; `jwks` overrides `jwksUrl` (tests pass a local key set). */
export interface JwtVerifierOptions extends JwtConfig {
  readonly jwks?: JWTVerifyGetKey
  readonly now: () => number
}

const ASYMMETRIC = ['RS256', 'ES256'] as const

/**
 * Verifies bearer JWTs: HS256 with the shared secret (as Supabase issues them) and RS256 /
 * ES256 against a JWKS. `alg: none` and every other algorithm are refused; `exp` is required;
 * tenant and role come from the configured claims (dot paths such as `app_metadata.tenant`).
 */
export class JwtVerifier {
  private readonly secret: Uint8Array | undefined
  private readonly jwks: JWTVerifyGetKey | undefined

  constructor(private readonly opts: JwtVerifierOptions) {
    this.secret = opts.secret === undefined ? undefined : new TextEncoder().encode(opts.secret)
    this.jwks = opts.jwks ?? (opts.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(opts.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }))
  }

  /** True when at least one kind of JWT is configured. */
  get isEnabled(): boolean {
    return this.secret !== undefined || this.jwks !== undefined
  }

  /** The token's principal; throws AuthInvalidError saying what is wrong. */
  async verify(token: string): Promise<JwtPrincipal> {
    let alg: string | undefined
    try {
      alg = decodeProtectedHeader(token).alg
    } catch (err) {
      throw new AuthInvalidError('malformed JWT', { cause: err })
    }
    let payload: JWTPayload
    const common = {
      issuer: this.opts.issuer,
      audience: this.opts.audience,
      clockTolerance: this.opts.clockToleranceSec,
      currentDate: new Date(this.opts.now()),
      requiredClaims: ['exp'],
    }
    try {
      if (alg === 'HS256' && this.secret !== undefined) {
        payload = (await jwtVerify(token, this.secret, { ...common, algorithms: ['HS256'] })).payload
      } else if (alg !== undefined && (ASYMMETRIC as readonly string[]).includes(alg) && this.jwks !== undefined) {
        payload = (await jwtVerify(token, this.jwks, { ...common, algorithms: [...ASYMMETRIC] })).payload
      } else {
        throw new AuthInvalidError(`JWT algorithm "${alg ?? 'none'}" is not accepted (${this.acceptedAlgorithms()})`)
      }
    } catch (err) {
      if (err instanceof AuthInvalidError) throw err
      throw new AuthInvalidError(describeJoseError(err), { cause: err })
    }
    const tenant = claimAt(payload, this.opts.tenantClaim)
    const role = claimAt(payload, this.opts.roleClaim)
    if (typeof tenant !== 'string' || !TENANT_PATTERN.test(tenant)) throw new AuthInvalidError(`JWT claim "${this.opts.tenantClaim}" must hold a tenant name`)
    if (!isRole(role)) throw new AuthInvalidError(`JWT claim "${this.opts.roleClaim}" must be viewer, editor or admin`)
    return {
      kind: 'jwt',
      tenant,
      role,
      subject: subjectOf(payload, token),
      expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    }
  }

  private acceptedAlgorithms(): string {
    const list = [...(this.secret ? ['HS256'] : []), ...(this.jwks ? ASYMMETRIC : [])]
    return list.length === 0 ? 'JWTs are off: set ADW_JWT_SECRET or ADW_JWT_JWKS_URL' : `accepted: ${list.join(', ')}`
  }
}

/** The value at a dot path of the claims (`app_metadata.tenant`). */
export function claimAt(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[part]
  }
  return v
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'JWT expired'
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `JWT claim "${err.claim}" ${err.reason === 'missing' ? 'is missing' : 'is not accepted'}`
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'JWT signature does not verify'
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'JWT algorithm not accepted'
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no JWKS key matches the JWT'
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) return 'the JWKS could not be fetched'
  if (err instanceof joseErrors.JOSEError) return `JWT rejected (${err.code})`
  return 'JWT rejected'
}

/**
 * Who a verified JWT stands for, in audit trails and rate-limit buckets: `user:<sub>`; without
 * `sub`, `token:<jti>`, else `token:` and the first 16 hex digits of the token's SHA-256. So
 * tokens without a subject do not all share one name (and one rate-limit budget per tenant).
 */
function subjectOf(payload: JWTPayload, token: string): string {
  if (typeof payload.sub === 'string' && payload.sub !== '') return `user:${payload.sub}`
  if (typeof payload.jti === 'string' && payload.jti !== '') return `token:${payload.jti}`
  return `token:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`
}
