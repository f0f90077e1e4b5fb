import { parseDurationMs } from './duration.ts'
import { NotifyError, RoutingConfigError } from './errors.ts'
import { matchesAll, type LabelMatcher } from './matchers.ts'
import type { Notifier, NotifierContext } from './notifiers/notifier.ts'
import { buildNotifier } from './notifiers/registry.ts'
import type { RouteConfig, RoutingConfig } from './routing-config.ts'

/** Grouping and timing after defaults are applied. */
export interface GroupTimings {
  readonly groupBy: readonly string[]
  readonly groupWaitMs: number
  readonly groupIntervalMs: number
  readonly repeatIntervalMs: number
}

/** An inhibit rule with its matchers. */
export interface InhibitRule {
  readonly source: readonly LabelMatcher[]
  readonly target: readonly LabelMatcher[]
  readonly equal: readonly string[]
}

/** A tenant's routing config ready to use: timings, route tree, inhibit rules and notifiers. */
export interface CompiledRouting {
  readonly version: number
  readonly timings: GroupTimings
  readonly route: RouteConfig
  readonly inhibitRules: readonly InhibitRule[]
  readonly notifiers: ReadonlyMap<string, Notifier>
}

/** Group timings of tenants that set none (from ADW_ALERTS_*). */
export interface TimingDefaults {
  readonly groupWaitMs: number
  readonly groupIntervalMs: number
  readonly repeatIntervalMs: number
}

/** Grouping of tenants that set none: rule and account. */
export const DEFAULT_GROUP_BY: readonly string[] = ['alertname', 'account']

/**
 * Builds the notifiers of a validated config. A receiver whose secret is missing becomes a
 * notifier that fails without retry (its notifications go to the dead-letter list naming
 * the secret), so one bad receiver does not silence the others.
 */
export function compileRouting(cfg: RoutingConfig, version: number, defaults: TimingDefaults, contextFor: (path: string) => NotifierContext): CompiledRouting {
  const notifiers = new Map<string, Notifier>()
  cfg.receivers.forEach((r, i) => {
    const ctx = contextFor(`$.receivers[${i}]`)
    try {
      notifiers.set(r.name, buildNotifier(r, ctx))
    } catch (err) {
      if (!(err instanceof NotifyError) && !(err instanceof RoutingConfigError)) throw err
      notifiers.set(r.name, failingNotifier(r.name, err))
    }
  })
  const ms = (text: string | undefined, fallback: number) => (text === undefined ? fallback : (parseDurationMs(text) ?? fallback))
  return {
    version,
    timings: {
      groupBy: cfg.group?.by ?? DEFAULT_GROUP_BY,
      groupWaitMs: ms(cfg.group?.wait, defaults.groupWaitMs),
      groupIntervalMs: ms(cfg.group?.interval, defaults.groupIntervalMs),
      repeatIntervalMs: ms(cfg.group?.repeat_interval, defaults.repeatIntervalMs),
    },
    route: cfg.route,
    inhibitRules: (cfg.inhibit_rules ?? []).map((r) => ({ source: r.source_matchers, target: r.target_matchers, equal: r.equal ?? [] })),
    notifiers,
  }
}

/**
 * The receivers of an alert: walks the tree as Alertmanager does. A child route that matches
 * is descended into; the first match stops the search among its siblings unless it has
 * `continue`; a node none of whose children match uses its own receiver (inherited from its
 * parent when unset). Duplicates are removed, order kept.
 */
export function receiversFor(route: RouteConfig, labels: Readonly<Record<string, string>>): string[] {
  const out = walk(route, labels, route.receiver)
  return [...new Set(out)]
}

function walk(node: RouteConfig, labels: Readonly<Record<string, string>>, inherited: string | undefined): string[] {
  const receiver = node.receiver ?? inherited
  const found: string[] = []
  let matched = false
  for (const child of node.routes ?? []) {
    if (!matchesAll(child.matchers ?? [], labels)) continue
    matched = true
    found.push(...walk(child, labels, receiver))
    if (child.continue !== true) break
  }
  if (matched) return found
  return receiver === undefined ? [] : [receiver]
}

function failingNotifier(receiver: string, cause: Error): Notifier {
  const err = cause instanceof NotifyError ? cause : new NotifyError('ADW_NOTIFY_REJECTED', `receiver "${receiver}" cannot be built: ${cause.message}`, { retryable: false, cause })
  return {
    receiver,
    type: 'log',
    granularity: 'group',
    rateLimit: undefined,
    parallelism: 1,
    send: () => Promise.reject(err),
  }
}
