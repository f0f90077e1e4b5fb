import { pino } from 'pino'
import { fingerprintOf, type AlertEvent } from '../alert-event.ts'
import type { Alert } from '../alert.ts'
import type { HttpClient, HttpResponse, NotifierContext } from '../notifiers/notifier.ts'
import { compileRouting, type CompiledRouting, type TimingDefaults } from '../routing.ts'
import type { RoutingConfig } from '../routing-config.ts'
import { StaticSecretResolver } from '../secrets.ts'
import type { Silence } from '../silence.ts'
import type { PendingNotification, StageContext } from '../stages/stage.ts'
import type { TenantStateDraft } from '../tenant-state.ts'
import type { Level } from '../../stream/event.ts'

/** A fixed start time for tests: 2026-11-21 10:00:00 UTC. */
export const T0 = Date.UTC(2026, 10, 21, 10, 0, 0)
/** A second and a minute in milliseconds. */
export const SEC = 1000
export const MIN = 60_000

/** A logger that drops everything. */
export const silentLog = pino({ enabled: false })

/** Timings tests use unless they say otherwise: group_wait 1s, group_interval 30s, repeat 4h. */
export const TEST_TIMINGS: TimingDefaults = { groupWaitMs: SEC, groupIntervalMs: 30 * SEC, repeatIntervalMs: 4 * 3_600_000 }

/** A firing alert of rule `rule` on a campaign of act_1, overridable field by field. */
export function alertOf(over: Partial<Alert> & { entity?: string; level?: Level; sourceId?: string } = {}): Alert {
  const sourceId = over.sourceId ?? 'high-cpc'
  const level = over.level ?? 'campaign'
  const entity = over.entity ?? 'cmp_1'
  const account = over.account ?? 'act_1'
  const labels = over.labels ?? { alertname: sourceId, tenant: 'acme', level, entity, account }
  return {
    fingerprint: fingerprintOf(sourceId, 'acme', level, entity, {}),
    tenant: 'acme',
    status: 'firing',
    source: 'rule',
    sourceId,
    sourceVersion: 1,
    level,
    entity,
    account,
    campaign: level === 'campaign' ? entity : level === 'account' ? '' : 'cmp_1',
    severity: 'warning',
    labels,
    annotations: { summary: `${sourceId} on ${entity}` },
    values: { cpc_15m: 3.42 },
    explanation: 'cpc_15m = 3.42 > 3 ✓',
    startsAtMs: T0,
    endsAtMs: undefined,
    updatedAtMs: T0,
    announced: undefined,
    ...defined(over),
  }
}

/** The fields of `o` that are not undefined (so `{ x: undefined }` does not erase a default). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** An AlertEvent as the rules engine writes it. */
export function eventOf(kind: AlertEvent['kind'], over: Partial<AlertEvent> & { entity?: string } = {}): AlertEvent {
  const a = alertOf({ entity: over.entity, level: over.level, sourceId: over.sourceId })
  return {
    kind,
    fingerprint: a.fingerprint,
    source: 'rule',
    sourceId: a.sourceId,
    sourceVersion: 1,
    tenant: 'acme',
    level: a.level,
    entity: a.entity,
    account: a.account,
    campaign: a.campaign,
    severity: a.severity,
    labels: a.labels,
    annotations: a.annotations,
    values: a.values,
    explanation: a.explanation,
    atMs: T0,
    startsAtMs: T0,
    endsAtMs: kind === 'resolved' ? T0 : undefined,
    ...defined(over),
  }
}

/** An HttpClient that records posts and answers 200 (or what `answer` says). */
export class RecordingHttp implements HttpClient {
  readonly posts: Array<{ url: string; body: string; headers: Readonly<Record<string, string>> }> = []
  answer: (url: string) => HttpResponse = () => ({ status: 200, headers: new Headers(), body: 'ok' })

  async post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<HttpResponse> {
    this.posts.push({ url, body, headers })
    return this.answer(url)
  }
}

/** Secrets of tenant acme for tests. */
export const testSecrets = new StaticSecretResolver(
  { acme: { slack: 'https://hooks.slack.example/services/T000/B000/XXXXsecret', pd: 'abcdefabcdefabcdefabcdefabcdef12', hook: 'whsec-test-signing-key' } },
  new Map(),
)

/** A notifier context for tenant acme with the recording HTTP client. */
export function notifierContext(path: string, http: HttpClient = new RecordingHttp(), now: () => number = () => T0): NotifierContext {
  return { tenant: 'acme', path, secrets: testSecrets, http, allowInsecureUrls: true, dashboardUrl: 'https://adwatch.example', defaultAlertmanagerUrl: 'http://127.0.0.1:9093', log: silentLog, now }
}

/** A compiled routing of a config (default: everything to one log receiver). */
export function routingOf(cfg: RoutingConfig = { receivers: [{ name: 'log', type: 'log' }], route: { receiver: 'log' } }, timings: TimingDefaults = TEST_TIMINGS, http?: HttpClient): CompiledRouting {
  return compileRouting(cfg, 1, timings, (path) => notifierContext(path, http))
}

/** A stage context over a draft. */
export function contextOf(state: TenantStateDraft, nowMs: number, routing: CompiledRouting = routingOf(), silences: readonly Silence[] = []): StageContext & { outbox: PendingNotification[] } {
  return { nowMs, tenant: 'acme', routing, silences, state, outbox: [] }
}
