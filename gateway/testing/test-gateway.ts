import { SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { pino } from 'pino'
import { loadConfig, type AdwatchConfig } from '../../core/config.ts'
import { buildGateway, type Gateway } from '../app.ts'
import { Authenticator } from '../auth/authenticator.ts'
import { JwtVerifier } from '../auth/jwt-verifier.ts'
import type { Role } from '../auth/principal.ts'
import type { GatewayDeps, ReadinessCheck } from '../deps.ts'
import { GatewayMetrics } from '../metrics.ts'
import { MemoryApiKeyStore, MemoryDeadLetterStore, MemoryEntityCatalog, MemorySeriesReader, MemoryTenants, RecordingEventWriter } from './fakes.ts'
import { MemoryAlerting } from './alerting-fakes.ts'
import { fakeReport, FakeBacktester, MemoryDetectorCatalog, MemoryRuleStore } from './rule-fakes.ts'

/** The fixed clock of unit tests: 30 s into a minute, at noon UTC. */
export const TEST_NOW = Date.parse('2026-03-10T12:00:30Z')
export const TEST_JWT_SECRET = 'unit-test-secret-unit-test-secret-0123456789'

/** A gateway on in-memory fakes, for app.inject(); `env` overrides ADW_* settings. */
export interface TestGateway {
  readonly gateway: Gateway
  readonly cfg: AdwatchConfig
  readonly apiKeys: MemoryApiKeyStore
  readonly entities: MemoryEntityCatalog
  readonly series: MemorySeriesReader
  readonly deadLetters: MemoryDeadLetterStore
  readonly events: RecordingEventWriter
  readonly tenants: MemoryTenants
  readonly metrics: GatewayMetrics
  readonly rules: MemoryRuleStore
  readonly backtests: FakeBacktester
  readonly detectors: MemoryDetectorCatalog
  readonly alerting: MemoryAlerting
  /** An HS256 JWT with tenant and role in the default claims, valid for an hour. */
  jwt(tenant: string, role: Role, claims?: JWTPayload): Promise<string>
  /** A new API key of the tenant. */
  apiKey(tenant: string, role: Role): Promise<string>
  close(): Promise<void>
}

export async function buildTestGateway(opts: { env?: Record<string, string>; tenants?: string[]; jwks?: JWTVerifyGetKey; readiness?: ReadinessCheck[]; now?: () => number } = {}): Promise<TestGateway> {
  const now = opts.now ?? (() => TEST_NOW)
  const cfg = loadConfig({ ADW_JWT_SECRET: TEST_JWT_SECRET, ADW_GATEWAY_WEB_DIR: '/nonexistent', ...opts.env })
  const tenants = new MemoryTenants(new Set(opts.tenants ?? ['acme', 'globex']))
  const apiKeys = new MemoryApiKeyStore()
  const entities = new MemoryEntityCatalog(cfg.consumer.defaultTimeZone)
  const series = new MemorySeriesReader()
  const deadLetters = new MemoryDeadLetterStore()
  const events = new RecordingEventWriter()
  const metrics = new GatewayMetrics({ now, defaultMetrics: false })
  const rules = new MemoryRuleStore(now)
  const backtests = new FakeBacktester(async (req) => fakeReport(req, now()), rules)
  const detectors = new MemoryDetectorCatalog()
  const alerting = new MemoryAlerting(now)
  const deps: GatewayDeps = {
    now,
    log: pino({ level: 'silent' }),
    authenticator: new Authenticator({ jwt: new JwtVerifier({ ...cfg.gateway.jwt, now, ...(opts.jwks === undefined ? {} : { jwks: opts.jwks }) }), apiKeys, tenants, apiKeyCacheMs: cfg.gateway.authCacheMs, now }),
    apiKeys,
    entities,
    live: { poll: async () => undefined, lastChangeMs: () => undefined },
    series,
    deadLetters,
    events,
    metrics,
    readiness: opts.readiness ?? [{ name: 'redis', check: async () => undefined }],
    streamName: cfg.kinesis.streamName,
    maxLatenessMs: cfg.consumer.maxLatenessSec * 1000,
    maxFutureMs: cfg.consumer.maxFutureSec * 1000,
    rules,
    backtests,
    detectors,
    alerting,
  }
  const gateway = await buildGateway(deps, cfg)
  return {
    gateway,
    cfg,
    apiKeys,
    entities,
    series,
    deadLetters,
    events,
    tenants,
    metrics,
    rules,
    backtests,
    detectors,
    alerting,
    jwt: (tenant, role, claims = {}) => signTestJwt({ app_metadata: { tenant, role }, ...claims }, { nowMs: now() }),
    apiKey: async (tenant, role) => (await apiKeys.create({ tenant, role, name: 'test', createdBy: 'test', nowMs: now() })).key,
    close: () => gateway.close(),
  }
}

/** Signs an HS256 JWT (by default with the test secret, subject u1, expiring in an hour). */
export async function signTestJwt(claims: JWTPayload, o: { nowMs?: number; secret?: string; expiresInSec?: number; subject?: string } = {}): Promise<string> {
  const iat = Math.floor((o.nowMs ?? TEST_NOW) / 1000)
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(o.subject ?? 'u1')
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.expiresInSec ?? 3600))
    .sign(new TextEncoder().encode(o.secret ?? TEST_JWT_SECRET))
}

/** An unsigned JWT (`alg: none`), as an attacker would send it. */
export function unsignedJwt(claims: JWTPayload): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`
}

/** Authorization header of a credential. */
export function bearer(credential: string): { authorization: string } {
  return { authorization: `Bearer ${credential}` }
}
