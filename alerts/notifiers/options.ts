import { createHash } from 'node:crypto'
import { isIP } from 'node:net'
import { Ajv, type ValidateFunction } from 'ajv'
import { Secret } from '../../core/config.ts'
import { NotifyError, RoutingConfigError } from '../errors.ts'
import { secretVariableName } from '../secrets.ts'
import { ajvProblems } from '../json-path.ts'
import type { NotifierContext, RateLimit, ReceiverConfig, SecretRef } from './notifier.ts'

/** Options every receiver type accepts besides its own. */
export const COMMON_OPTIONS = {
  name: { type: 'string' },
  type: { type: 'string' },
  rate_limit: {
    type: 'object',
    additionalProperties: false,
    required: ['per_second'],
    properties: { per_second: { type: 'number', exclusiveMinimum: 0, maximum: 10_000 }, burst: { type: 'integer', minimum: 1, maximum: 10_000 } },
  },
  parallelism: { type: 'integer', minimum: 1, maximum: 16 },
} as const

/** The receiver's `parallelism` option, or the type's default. */
export function parallelismOf(receiver: ReceiverConfig, fallback: number): number {
  return typeof receiver.parallelism === 'number' ? receiver.parallelism : fallback
}

/** `{"secret": "<name>"}`: a secret is named, never written into a config. */
export const SECRET_REF_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['secret'],
  properties: { secret: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } },
} as const

const ajv = new Ajv({ allErrors: true, strict: true })
const compiled = new WeakMap<object, ValidateFunction>()

/**
 * Validates a receiver's options against its type's JSON Schema; every problem names its
 * JSON path under the receiver's (e.g. `$.receivers[1].routing_key`).
 */
export function validateOptions<T>(schema: object, receiver: ReceiverConfig, ctx: NotifierContext): T {
  let validate = compiled.get(schema)
  if (validate === undefined) {
    validate = ajv.compile(schema)
    compiled.set(schema, validate)
  }
  if (!validate(receiver)) {
    const problems = ajvProblems(validate.errors, ctx.path)
    // A plain string where a secret reference belongs: say how to write it.
    for (const p of problems) if (p.message === 'must be object' && SECRET_FIELDS.test(p.path)) Object.assign(p, { message: 'must be a secret reference {"secret": "<name>"}; secret values never go into routing configs' })
    throw new RoutingConfigError(problems)
  }
  return receiver as unknown as T
}

const SECRET_FIELDS = /(webhook_url|routing_key|signing_secret|password|url_secret)$/

/**
 * The value of a secret reference for the context's tenant. In validate-only mode a
 * placeholder; a secret that is not configured is a non-retryable NotifyError.
 */
export function resolveSecret(ref: SecretRef, ctx: NotifierContext, field: string): Secret {
  if (ctx.secrets === 'validate-only') return new Secret(`validate-only:${ref.secret}`)
  const s = ctx.secrets.resolve(ctx.tenant, ref.secret)
  if (s === undefined) {
    throw new NotifyError('ADW_NOTIFY_SECRET_MISSING', `${ctx.path}.${field}: secret "${ref.secret}" of tenant "${ctx.tenant}" is not configured (${secretVariableName(ctx.tenant, ref.secret) === undefined ? 'secrets file: a tenant whose name has - or _ cannot use ADW_ALERTS_SECRET_* variables' : 'secrets file or ADW_ALERTS_SECRET_* variable'})`, { retryable: false })
  }
  return s
}

/**
 * Checks a receiver URL: http(s), and unless insecure receivers are allowed, https to a host
 * that is not loopback, private or link-local (so a routing config cannot make the alerts
 * process call internal services). `shown` is what messages may print (secret URLs: the field).
 */
export function checkReceiverUrl(url: string, ctx: NotifierContext, field: string, shown: string = url): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new RoutingConfigError([{ path: `${ctx.path}.${field}`, message: `${shown} is not a URL` }])
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new RoutingConfigError([{ path: `${ctx.path}.${field}`, message: `${shown} must be an http(s) URL` }])
  if (ctx.allowInsecureUrls) return u
  if (u.protocol !== 'https:') throw new RoutingConfigError([{ path: `${ctx.path}.${field}`, message: `${shown} must use https (ADW_ALERTS_ALLOW_INSECURE_RECEIVERS allows http)` }])
  if (isInternalHost(u.hostname)) throw new RoutingConfigError([{ path: `${ctx.path}.${field}`, message: `${shown} points at a loopback, private or link-local address` }])
  return u
}

/** Loopback, private, link-local and unspecified addresses, and `localhost`. */
export function isInternalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (isIP(h) === 4) {
    const [a = 0, b = 0] = h.split('.').map(Number)
    return a === 127 || a === 10 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)
  }
  if (isIP(h) === 6) return h === '::1' || h === '::' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80') || h.startsWith('::ffff:')
  return false
}

/** The receiver's rate limit: its own `rate_limit` option or the type's default, keyed by endpoint. */
export function rateLimitOf(receiver: ReceiverConfig, endpoint: string, fallback: { perSecond: number; burst: number } | undefined): RateLimit | undefined {
  const own = receiver.rate_limit as { per_second: number; burst?: number } | undefined
  const chosen = own === undefined ? fallback : { perSecond: own.per_second, burst: own.burst ?? 1 }
  if (chosen === undefined) return undefined
  return { key: `${receiver.type}:${createHash('sha256').update(endpoint).digest('hex').slice(0, 16)}`, ...chosen }
}
