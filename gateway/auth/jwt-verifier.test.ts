import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { loadConfig } from '../../core/config.ts'
import { signTestJwt, TEST_JWT_SECRET, TEST_NOW, unsignedJwt } from '../testing/test-gateway.ts'
import { JwtVerifier } from './jwt-verifier.ts'

const jwtCfg = loadConfig({ ADW_JWT_SECRET: TEST_JWT_SECRET }).gateway.jwt
const now = () => TEST_NOW
const claims = { app_metadata: { tenant: 'acme', role: 'editor' } }

async function rejection(v: JwtVerifier, token: string): Promise<string> {
  const err = await v.verify(token).then(() => undefined, (e: Error & { code?: string }) => e)
  assert.ok(err, 'the token must be rejected')
  assert.equal(err.code, 'ADW_AUTH_INVALID')
  return err.message
}

test('an HS256 token with tenant and role claims gives a principal', async () => {
  const p = await new JwtVerifier({ ...jwtCfg, now }).verify(await signTestJwt(claims))
  assert.deepEqual(p, { kind: 'jwt', tenant: 'acme', role: 'editor', subject: 'user:u1', expiresAtMs: (Math.floor(TEST_NOW / 1000) + 3600) * 1000 })
})

test('a token without `sub` is named by its `jti`, else by its hash: such tokens do not share one name or rate-limit budget', async () => {
  const v = new JwtVerifier({ ...jwtCfg, now })
  const iat = Math.floor(TEST_NOW / 1000)
  const unnamed = (extra: Record<string, unknown>) => new SignJWT({ ...claims, ...extra }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(iat).setExpirationTime(iat + 600).sign(new TextEncoder().encode(TEST_JWT_SECRET))
  assert.equal((await v.verify(await unnamed({ jti: 'svc-7' }))).subject, 'token:svc-7')
  const a = await unnamed({ n: 1 })
  const b = await unnamed({ n: 2 })
  const [pa, pa2, pb] = await Promise.all([v.verify(a), v.verify(a), v.verify(b)])
  assert.match(pa.subject, /^token:[0-9a-f]{16}$/)
  assert.equal(pa2.subject, pa.subject, 'the same token, the same name')
  assert.notEqual(pb.subject, pa.subject)
})

test('forged HS256 tokens are rejected with the reason', async () => {
  const v = new JwtVerifier({ ...jwtCfg, now })
  const cases: Array<[string, Promise<string>, RegExp]> = [
    // alg none carries no signature at all.
    ['alg none', Promise.resolve(unsignedJwt({ ...claims, exp: TEST_NOW / 1000 + 60 })), /algorithm "none" is not accepted/],
    // Signed with another secret: the HMAC does not verify.
    ['wrong key', signTestJwt(claims, { secret: 'another-secret-another-secret-another-secret' }), /signature does not verify/],
    // Expired an hour ago (beyond the 5 s tolerance).
    ['expired', signTestJwt(claims, { nowMs: TEST_NOW - 7_200_000 }), /expired/],
    // Valid signature, but no tenant claim: the caller's tenant is unknown.
    ['no tenant', signTestJwt({ app_metadata: { role: 'admin' } }), /tenant/],
    // A role outside the three.
    ['bad role', signTestJwt({ app_metadata: { tenant: 'acme', role: 'root' } }), /viewer, editor or admin/],
    // Supabase's own `role` claim is not adwatch's role.
    ['postgres role only', signTestJwt({ role: 'authenticated', app_metadata: { tenant: 'acme' } }), /role/],
    // Tenant names follow the event contract.
    ['bad tenant name', signTestJwt({ app_metadata: { tenant: 'ACME!', role: 'admin' } }), /tenant/],
    ['garbage', Promise.resolve('not.a.jwt'), /malformed/],
  ]
  for (const [name, token, reason] of cases) assert.match(await rejection(v, await token), reason, name)
})

test('a token without exp is rejected', async () => {
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(TEST_JWT_SECRET))
  assert.match(await rejection(new JwtVerifier({ ...jwtCfg, now }), token), /"exp" is missing/)
})

test('issuer and audience are checked when configured', async () => {
  const v = new JwtVerifier({ ...jwtCfg, issuer: 'https://x.supabase.co/auth/v1', audience: 'authenticated', now })
  assert.match(await rejection(v, await signTestJwt({ ...claims, iss: 'https://evil.example', aud: 'authenticated' })), /"iss"/)
  assert.match(await rejection(v, await signTestJwt({ ...claims, iss: 'https://x.supabase.co/auth/v1', aud: 'other' })), /"aud"/)
  assert.equal((await v.verify(await signTestJwt({ ...claims, iss: 'https://x.supabase.co/auth/v1', aud: 'authenticated' }))).tenant, 'acme')
})

test('RS256 and ES256 tokens verify against a JWKS; HS256 with the public key as secret does not', async () => {
  const rsa = await generateKeyPair('RS256')
  const ec = await generateKeyPair('ES256')
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'r1', alg: 'RS256' }, { ...(await exportJWK(ec.publicKey)), kid: 'e1', alg: 'ES256' }] })
  const v = new JwtVerifier({ ...jwtCfg, secret: undefined, jwks, now })
  const iat = TEST_NOW / 1000
  const rs = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'r1' }).setIssuedAt(iat).setExpirationTime(iat + 60).sign(rsa.privateKey)
  const es = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'e1' }).setIssuedAt(iat).setExpirationTime(iat + 60).sign(ec.privateKey)
  assert.equal((await v.verify(rs)).role, 'editor')
  assert.equal((await v.verify(es)).tenant, 'acme')
  // Key confusion: an attacker signs HS256 with the (public) JWKS key material; HS256 is off here.
  const pem = JSON.stringify(await exportJWK(rsa.publicKey))
  const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'r1' }).setExpirationTime(iat + 60).sign(new TextEncoder().encode(pem))
  assert.match(await rejection(v, confused), /"HS256" is not accepted/)
  // A key not in the set.
  const other = await generateKeyPair('RS256')
  const unknown = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'r9' }).setExpirationTime(iat + 60).sign(other.privateKey)
  assert.match(await rejection(v, unknown), /no JWKS key|signature/)
})

test('claims are read at dot paths, so Supabase app_metadata and flat claims both work', async () => {
  const v = new JwtVerifier({ ...jwtCfg, tenantClaim: 'tenant', roleClaim: 'adw_role', now })
  const p = await v.verify(await signTestJwt({ tenant: 'globex', adw_role: 'viewer' }))
  assert.deepEqual([p.tenant, p.role], ['globex', 'viewer'])
})
