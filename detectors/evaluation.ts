import type { Level } from '../stream/event.ts'

/**
 * Judging detectors against ground truth, shared by the benchmark and the integration test.
 * Findings become alerts the way the alert pipeline will see them: one identity per detector
 * and entity (DESIGN "Alerts": the fingerprint is the detector id plus the entity), open while
 * findings keep coming and resolved after `resolveAfterMs` without one. Pure.
 */

/** A finding reduced to what judging needs. */
export interface JudgedFinding {
  readonly detector: string
  readonly tenant: string
  readonly level: Level
  readonly entity: string
  readonly account: string
  /** Start of the minute the finding is about. */
  readonly atMs: number
  /** When it was emitted (the runner's clock). */
  readonly detectedAtMs: number
}

/** One alert: consecutive findings of one detector on one entity. */
export interface JudgedAlert {
  readonly detector: string
  readonly tenant: string
  readonly level: Level
  readonly entity: string
  readonly account: string
  readonly firstAtMs: number
  readonly detectedAtMs: number
  lastAtMs: number
  findings: number
}

/** A ground-truth anomaly on one campaign (the producer's Anomaly has these fields). */
export interface TruthAnomaly {
  readonly kind: string
  readonly tenant: string
  readonly account: string
  readonly campaign: string
  readonly startMs: number
  readonly endMs: number
}

/** Groups findings (any order) into alerts per detector and entity. */
export function groupIntoAlerts(findings: readonly JudgedFinding[], resolveAfterMs: number): JudgedAlert[] {
  const sorted = [...findings].sort((a, b) => a.atMs - b.atMs)
  const open = new Map<string, JudgedAlert>()
  const out: JudgedAlert[] = []
  for (const f of sorted) {
    const key = `${f.detector}\u0000${f.tenant}\u0000${f.level}\u0000${f.entity}`
    const cur = open.get(key)
    if (cur !== undefined && f.atMs - cur.lastAtMs <= resolveAfterMs) {
      cur.lastAtMs = f.atMs
      cur.findings++
      continue
    }
    const alert: JudgedAlert = { detector: f.detector, tenant: f.tenant, level: f.level, entity: f.entity, account: f.account, firstAtMs: f.atMs, detectedAtMs: f.detectedAtMs, lastAtMs: f.atMs, findings: 1 }
    open.set(key, alert)
    out.push(alert)
  }
  return out
}

/** How one anomaly was caught: the first alert that started inside it, by which detectors. */
export interface AnomalyOutcome<A extends TruthAnomaly = TruthAnomaly> {
  readonly anomaly: A
  /** First emission time of an alert on the anomaly's entity that started within it; undefined if missed. */
  readonly detectedAtMs: number | undefined
  readonly delayMs: number | undefined
  /** Detectors that alerted within it, first first. */
  readonly detectors: readonly string[]
}

/** What judging found. */
export interface Judgement<A extends TruthAnomaly = TruthAnomaly> {
  readonly outcomes: ReadonlyArray<AnomalyOutcome<A>>
  /** Alerts that started outside every anomaly of their entity (plus grace). */
  readonly falseAlerts: readonly JudgedAlert[]
  readonly trueAlerts: readonly JudgedAlert[]
}

/**
 * Matches alerts of one level to anomalies: an alert is true when it starts between the
 * minute its anomaly began and `graceMs` after it ended, on the anomaly's campaign (level
 * campaign) or account (level account); other alerts are false.
 */
export function judgeAlerts<A extends TruthAnomaly>(alerts: readonly JudgedAlert[], anomalies: readonly A[], level: Level, graceMs: number): Judgement<A> {
  const entityOf = (a: TruthAnomaly) => (level === 'account' ? a.account : a.campaign)
  const within = (al: JudgedAlert, a: TruthAnomaly) =>
    al.tenant === a.tenant && al.entity === entityOf(a) && al.firstAtMs >= a.startMs - (a.startMs % 60_000) && al.firstAtMs <= a.endMs + graceMs
  const levelAlerts = alerts.filter((al) => al.level === level)
  const outcomes = anomalies.map((anomaly) => {
    const hits = levelAlerts.filter((al) => within(al, anomaly) && al.firstAtMs <= anomaly.endMs).sort((x, y) => x.detectedAtMs - y.detectedAtMs)
    const first = hits[0]
    return {
      anomaly,
      detectedAtMs: first?.detectedAtMs,
      delayMs: first === undefined ? undefined : first.detectedAtMs - anomaly.startMs,
      detectors: [...new Set(hits.map((h) => h.detector))],
    }
  })
  const trueAlerts = levelAlerts.filter((al) => anomalies.some((a) => within(al, a)))
  const falseAlerts = levelAlerts.filter((al) => !anomalies.some((a) => within(al, a)))
  return { outcomes, falseAlerts, trueAlerts }
}
