import type { DetectorFinding, FindingSink } from '../detectors/finding.ts'
import { fingerprintOf, type AlertEvent, type AlertEventSink, type AlertSeverity } from './alert-event.ts'
import { INACTIVE, stepAlert, type AlertState, type AlertTiming, type Observation, type Transition } from './state-machine.ts'

/** How the detector findings of a tenant become alerts. */
export interface DetectorAlertOptions {
  /** The tenant's threshold for a detector (the detectors' settings); findings below it count as "below". */
  readonly thresholdOf: (tenant: string, detector: string) => Promise<number> | number
  /**
   * Findings come only for minutes at or above the threshold; an alert whose last such minute
   * is older than this is judged below again (resolved) by `sweep`. Default 3 minutes.
   */
  readonly quietAfterMs?: number
  /** Keep firing this long after the last finding at or above the threshold (default 0). */
  readonly keepFiringForMs?: number
  /** Severity of a detector alert (default warning). */
  readonly severity?: AlertSeverity
  readonly now: () => number
}

/** What the adapter writes to and keeps its states in. */
export interface DetectorAlertDeps {
  /** The tenant's alert event log (RedisAlertEventLog): the same log the rules engine writes. */
  readonly events: AlertEventSink
  /** Detector alert states (RedisAlertStateStore with owner `detectors`). */
  readonly states: {
    load(tenant: string): Promise<Map<string, AlertState>>
    save(tenant: string, changes: ReadonlyMap<string, AlertState>): Promise<void>
  }
}

/**
 * The detectors' FindingSink that turns findings into alert lifecycle events with the alert
 * state machine: an identity (detector + tenant + level + entity) fires when a score is at or
 * above the tenant's threshold and resolves when below — a finding under the threshold, or no
 * finding at all for `quietAfterMs` (detectors only report minutes above it; `sweep` judges
 * the quiet ones). States live in Redis, so a restart continues; events go to the tenant's
 * alert event log, where the alerts process reads them like the rules engine's.
 */
export class DetectorAlertSink implements FindingSink {
  private readonly states = new Map<string, Map<string, { state: AlertState; last: DetectorFinding }>>()
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly deps: DetectorAlertDeps, private readonly o: DetectorAlertOptions) {}

  submit(findings: readonly DetectorFinding[]): Promise<void> {
    return this.serially(async () => {
      const byTenant = new Map<string, DetectorFinding[]>()
      for (const f of findings) byTenant.set(f.tenant, [...(byTenant.get(f.tenant) ?? []), f])
      for (const [tenant, list] of byTenant) {
        const states = await this.statesOf(tenant)
        const events: AlertEvent[] = []
        const changed = new Map<string, AlertState>()
        for (const f of [...list].sort((a, b) => a.atMs - b.atMs)) {
          const threshold = await this.o.thresholdOf(tenant, f.detector)
          const fp = fingerprintOf(f.detector, tenant, f.level, f.entity, {})
          const entry = states.get(fp) ?? { state: INACTIVE, last: f }
          const observation: Observation = f.score >= threshold ? 'true' : 'false'
          const r = stepAlert(entry.state, observation, this.timing(), f.atMs)
          const last = observation === 'true' ? f : entry.last
          states.set(fp, { state: r.state, last })
          changed.set(fp, withFinding(r.state, last))
          if (r.transition !== undefined) events.push(this.eventOf(fp, f, r.transition))
        }
        await this.deps.states.save(tenant, changed)
        if (events.length > 0) await this.deps.events.submit(events)
      }
    })
  }

  /**
   * Resolves firing alerts whose last finding at or above the threshold is older than
   * `quietAfterMs` at `nowMs`. Call it every minute (the detectors' tick); `tenants` are
   * loaded first, so alerts firing before a restart resolve too.
   */
  sweep(nowMs: number, tenants: readonly string[] = []): Promise<number> {
    return this.serially(async () => {
      for (const t of tenants) await this.statesOf(t)
      let resolved = 0
      const quietMs = this.o.quietAfterMs ?? 180_000
      for (const [tenant, states] of this.states) {
        const events: AlertEvent[] = []
        const changed = new Map<string, AlertState>()
        for (const [fp, entry] of states) {
          if (entry.state.phase !== 'firing' || nowMs - (entry.state.lastTrueMs ?? nowMs) < quietMs) continue
          const r = stepAlert(entry.state, 'no-data', this.timing(), nowMs)
          states.set(fp, { ...entry, state: r.state })
          changed.set(fp, withFinding(r.state, entry.last))
          if (r.transition !== undefined) events.push(this.eventOf(fp, entry.last, r.transition))
        }
        await this.deps.states.save(tenant, changed)
        if (events.length > 0) await this.deps.events.submit(events)
        resolved += events.length
      }
      return resolved
    })
  }

  private timing(): AlertTiming {
    return { forMs: 0, keepFiringForMs: this.o.keepFiringForMs ?? 0, noData: 'ok' }
  }

  private async statesOf(tenant: string): Promise<Map<string, { state: AlertState; last: DetectorFinding }>> {
    let states = this.states.get(tenant)
    if (states === undefined) {
      states = new Map()
      for (const [fp, state] of await this.deps.states.load(tenant)) {
        const { finding, ...rest } = state as StoredState
        if (finding !== undefined) states.set(fp, { state: rest, last: finding })
      }
      this.states.set(tenant, states)
    }
    return states
  }

  private eventOf(fingerprint: string, f: DetectorFinding, t: Transition): AlertEvent {
    return {
      kind: t.kind,
      fingerprint,
      source: 'detector',
      sourceId: f.detector,
      sourceVersion: 1,
      tenant: f.tenant,
      level: f.level,
      entity: f.entity,
      account: f.account,
      campaign: f.level === 'campaign' ? f.entity : '',
      severity: this.o.severity ?? 'warning',
      labels: { alertname: f.detector, tenant: f.tenant, level: f.level, entity: f.entity, account: f.account, detector: f.detector },
      annotations: { summary: `${f.detector} anomaly on ${f.level} ${f.entity}`, description: f.explanation },
      values: { score: Number(f.score.toFixed(4)), feature: f.feature, expected: f.expected, actual: f.actual },
      explanation: f.explanation,
      atMs: Math.max(this.o.now(), f.atMs),
      startsAtMs: t.kind === 'firing' || t.kind === 'resolved' ? t.startsAtMs : f.atMs,
      endsAtMs: t.kind === 'resolved' ? t.endsAtMs : undefined,
    }
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn)
    this.chain = run.then(() => undefined, () => undefined)
    return run
  }
}

/** A detector alert state as stored: with the finding its alert events describe. */
type StoredState = AlertState & { readonly finding?: DetectorFinding }

function withFinding(state: AlertState, finding: DetectorFinding): StoredState {
  return { ...state, finding }
}
