import { Ajv } from 'ajv'
import { pino } from 'pino'
import { DURATION_PATTERN, parseDurationMs } from './duration.ts'
import { RoutingConfigError, type ConfigProblem } from './errors.ts'
import { ajvProblems } from './json-path.ts'
import { LABEL_NAME_PATTERN, MATCHER_OPS, matcherProblem, type LabelMatcher } from './matchers.ts'
import type { HttpClient, NotifierContext, ReceiverConfig } from './notifiers/notifier.ts'
import { buildNotifier } from './notifiers/registry.ts'
import { NotifyError } from './errors.ts'

/** Grouping and timing of a tenant's notifications (every field optional: defaults from ADW_ALERTS_*). */
export interface GroupSettings {
  /** Labels that form a group; default ["alertname", "account"] (rule + account). */
  readonly by?: readonly string[]
  /** How long a new group gathers alerts before its first notification. */
  readonly wait?: string
  /** Least time between two notifications of one group. */
  readonly interval?: string
  /** A firing, unacknowledged alert is notified again after this. */
  readonly repeat_interval?: string
}

/** A node of the routing tree: matchers, a receiver, child routes, and `continue`. */
export interface RouteConfig {
  readonly matchers?: readonly LabelMatcher[]
  readonly receiver?: string
  /** Keep looking at the next sibling after this route matched (Alertmanager's `continue`). */
  readonly continue?: boolean
  readonly routes?: readonly RouteConfig[]
}

/** Alerts matching `target_matchers` are muted while one matching `source_matchers` fires with equal `equal` labels. */
export interface InhibitRuleConfig {
  readonly source_matchers: readonly LabelMatcher[]
  readonly target_matchers: readonly LabelMatcher[]
  readonly equal?: readonly string[]
}

/** A tenant's routing config (docs/alerts.md), as stored and as the gateway accepts it. */
export interface RoutingConfig {
  readonly receivers: readonly ReceiverConfig[]
  readonly route: RouteConfig
  readonly group?: GroupSettings
  readonly inhibit_rules?: readonly InhibitRuleConfig[]
}

/** Largest routing config accepted. */
export const MAX_ROUTING_CONFIG_BYTES = 64 * 1024
/** Deepest nesting of routes. */
export const MAX_ROUTE_DEPTH = 8

const MATCHER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'op', 'value'],
  properties: { name: { type: 'string', pattern: LABEL_NAME_PATTERN }, op: { enum: MATCHER_OPS }, value: { type: 'string', maxLength: 1024 } },
} as const
const MATCHERS_SCHEMA = { type: 'array', maxItems: 20, items: { $ref: '#/$defs/matcher' } } as const
const RECEIVER_NAME = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } as const

/** JSON Schema of the envelope; each receiver's options are checked by its factory. */
export const ROUTING_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['receivers', 'route'],
  $defs: {
    matcher: MATCHER_SCHEMA,
    route: {
      type: 'object',
      additionalProperties: false,
      properties: {
        matchers: MATCHERS_SCHEMA,
        receiver: RECEIVER_NAME,
        continue: { type: 'boolean' },
        routes: { type: 'array', maxItems: 100, items: { $ref: '#/$defs/route' } },
      },
    },
  },
  properties: {
    receivers: {
      type: 'array',
      maxItems: 50,
      items: { type: 'object', required: ['name', 'type'], properties: { name: RECEIVER_NAME, type: { type: 'string' } } },
    },
    route: {
      type: 'object',
      additionalProperties: false,
      properties: { receiver: RECEIVER_NAME, routes: { type: 'array', maxItems: 100, items: { $ref: '#/$defs/route' } } },
    },
    group: {
      type: 'object',
      additionalProperties: false,
      properties: {
        by: { type: 'array', maxItems: 20, uniqueItems: true, items: { type: 'string', pattern: LABEL_NAME_PATTERN } },
        wait: { type: 'string', pattern: DURATION_PATTERN },
        interval: { type: 'string', pattern: DURATION_PATTERN },
        repeat_interval: { type: 'string', pattern: DURATION_PATTERN },
      },
    },
    inhibit_rules: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['source_matchers', 'target_matchers'],
        properties: {
          source_matchers: { ...MATCHERS_SCHEMA, minItems: 1 },
          target_matchers: { ...MATCHERS_SCHEMA, minItems: 1 },
          equal: { type: 'array', maxItems: 20, items: { type: 'string', pattern: LABEL_NAME_PATTERN } },
        },
      },
    },
  },
} as const

const ajv = new Ajv({ allErrors: true, strict: true })
const validateEnvelope = ajv.compile(ROUTING_CONFIG_SCHEMA)
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** What validation needs to know of the alerts process's settings. */
export interface RoutingValidationOptions {
  readonly allowInsecureUrls: boolean
  readonly defaultAlertmanagerUrl: string
}

/**
 * Validates a routing config as saved: size, the envelope's JSON Schema, each receiver's
 * options by its type's factory (an unknown type names `$.receivers[i].type`; secrets must
 * be references), unique receiver names, routes that name existing receivers, matchers
 * whose regexes compile, depth and durations. Returns every problem with its JSON path.
 */
export function validateRoutingConfig(input: unknown, o: RoutingValidationOptions): ConfigProblem[] {
  let text: string
  try {
    text = JSON.stringify(input) ?? ''
  } catch {
    return [{ path: '$', message: 'must be JSON' }]
  }
  if (Buffer.byteLength(text) > MAX_ROUTING_CONFIG_BYTES) return [{ path: '$', message: `is ${Buffer.byteLength(text)} bytes; at most ${MAX_ROUTING_CONFIG_BYTES} (64 KiB)` }]
  const forbidden = findForbiddenKeys(input, '$')
  if (forbidden.length > 0) return forbidden
  if (!validateEnvelope(input)) return ajvProblems(validateEnvelope.errors)
  const cfg = input as RoutingConfig
  const problems: ConfigProblem[] = []
  const names = new Set<string>()
  cfg.receivers.forEach((r, i) => {
    const path = `$.receivers[${i}]`
    if (names.has(r.name)) problems.push({ path: `${path}.name`, message: `receiver "${r.name}" is declared twice` })
    names.add(r.name)
    try {
      buildNotifier(r, validationContext(path, o))
    } catch (err) {
      if (err instanceof RoutingConfigError) problems.push(...err.problems)
      else if (err instanceof NotifyError) problems.push({ path, message: err.message })
      else throw err
    }
  })
  const walk = (route: RouteConfig, path: string, depth: number) => {
    if (depth > MAX_ROUTE_DEPTH) {
      problems.push({ path, message: `routes nest deeper than ${MAX_ROUTE_DEPTH} levels` })
      return
    }
    if (route.receiver !== undefined && !names.has(route.receiver)) problems.push({ path: `${path}.receiver`, message: `no receiver named "${route.receiver}"; declared: ${[...names].join(', ') || 'none'}` })
    route.matchers?.forEach((m, i) => {
      const why = matcherProblem(m)
      if (why !== undefined) problems.push({ path: `${path}.matchers[${i}]`, message: why })
    })
    route.routes?.forEach((child, i) => walk(child, `${path}.routes[${i}]`, depth + 1))
  }
  walk(cfg.route, '$.route', 0)
  cfg.inhibit_rules?.forEach((rule, i) => {
    for (const side of ['source_matchers', 'target_matchers'] as const) {
      rule[side].forEach((m, j) => {
        const why = matcherProblem(m)
        if (why !== undefined) problems.push({ path: `$.inhibit_rules[${i}].${side}[${j}]`, message: why })
      })
    }
  })
  for (const field of ['wait', 'interval', 'repeat_interval'] as const) {
    const v = cfg.group?.[field]
    if (v !== undefined && field !== 'wait' && (parseDurationMs(v) ?? 0) <= 0) problems.push({ path: `$.group.${field}`, message: 'must be longer than 0' })
  }
  return problems
}

/** Validates and returns the config typed; throws RoutingConfigError with every problem. */
export function parseRoutingConfig(input: unknown, o: RoutingValidationOptions): RoutingConfig {
  const problems = validateRoutingConfig(input, o)
  if (problems.length > 0) throw new RoutingConfigError(problems)
  return input as RoutingConfig
}

/** The config of a tenant that has none: everything to one `log` receiver, or nowhere. */
export function defaultRoutingConfig(receiver: 'log' | 'none'): RoutingConfig {
  return receiver === 'log' ? { receivers: [{ name: 'log', type: 'log' }], route: { receiver: 'log' } } : { receivers: [], route: {} }
}

const silentLog = pino({ enabled: false })
const noHttp: HttpClient = {
  post: () => Promise.reject(new Error('validation does not send')),
}

function validationContext(path: string, o: RoutingValidationOptions): NotifierContext {
  return {
    tenant: '',
    path,
    secrets: 'validate-only',
    http: noHttp,
    allowInsecureUrls: o.allowInsecureUrls,
    dashboardUrl: undefined,
    defaultAlertmanagerUrl: o.defaultAlertmanagerUrl,
    log: silentLog,
    now: () => 0,
  }
}

function findForbiddenKeys(value: unknown, path: string): ConfigProblem[] {
  if (value === null || typeof value !== 'object') return []
  const out: ConfigProblem[] = []
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) out.push({ path: `${path}.${key}`, message: 'is not allowed as a key' })
    else out.push(...findForbiddenKeys((value as Record<string, unknown>)[key], Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`))
  }
  return out
}
