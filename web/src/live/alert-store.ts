import type { Level } from '../../../gateway/api-types.ts'
import type { AlertTransitionPush } from '../../../gateway/socket-events.ts'
import type { AlertDto, AlertPhase } from '../api/proposed-types.ts'

/** An alert as the feed shows it. */
export interface AlertItem {
  readonly fingerprint: string
  readonly sourceId: string
  readonly level: Level
  readonly entity: string
  readonly severity: string
  readonly state: AlertPhase
  readonly explanation: string
  readonly labels: Readonly<Record<string, string>>
  /** When the current state began, epoch ms. */
  readonly sinceMs: number
  /** When the alert became active (pending or firing), and when it resolved (null while open). */
  readonly startedMs: number
  readonly endedMs: number | null
  /** When it last changed, epoch ms. */
  readonly atMs: number
  readonly acknowledgedBy: string | null
  readonly silenced: boolean
}

type Listener = () => void

/** Resolved alerts the live feed keeps (the history view reads older ones from the API). */
export const RESOLVED_KEPT = 200

/**
 * The live alert feed: loaded from `GET /alerts`, then moved along by the socket's
 * `alert:transition` pushes. A cancelled pending alert (never notified) leaves the feed. Open
 * alert counts per entity feed the overview's column.
 */
export class AlertStore {
  private readonly items = new Map<string, AlertItem>()
  private readonly listeners = new Set<Listener>()
  private openCounts: Map<string, number> | undefined
  version = 0

  get size(): number {
    return this.items.size
  }

  get(fingerprint: string): AlertItem | undefined {
    return this.items.get(fingerprint)
  }

  /** Newest change first. */
  list(): AlertItem[] {
    return [...this.items.values()].sort((a, b) => b.atMs - a.atMs || a.fingerprint.localeCompare(b.fingerprint))
  }

  load(alerts: readonly AlertDto[]): void {
    for (const a of alerts) {
      const atMs = Date.parse(a.updatedAt)
      const cur = this.items.get(a.fingerprint)
      if (cur !== undefined && cur.atMs > atMs) continue
      this.items.set(a.fingerprint, {
        fingerprint: a.fingerprint,
        sourceId: a.sourceId,
        level: a.level,
        entity: a.entity,
        severity: a.severity,
        state: a.state,
        explanation: a.explanation,
        labels: a.labels,
        sinceMs: Date.parse(a.state === 'resolved' && a.endsAt !== null ? a.endsAt : a.startsAt),
        startedMs: Date.parse(a.startsAt),
        endedMs: a.endsAt === null ? null : Date.parse(a.endsAt),
        atMs,
        acknowledgedBy: a.acknowledgedBy,
        silenced: a.silencedBy.length > 0,
      })
    }
    this.trim()
    this.changed()
  }

  /** Applies a frame's transitions, oldest first. */
  applyTransitions(batch: readonly (AlertTransitionPush | { readonly kind: 'cancelled'; readonly fingerprint: string; readonly atMs: number })[]): void {
    for (const t of [...batch].sort((a, b) => a.atMs - b.atMs)) {
      const cur = this.items.get(t.fingerprint)
      if (cur !== undefined && cur.atMs > t.atMs) continue
      if (t.kind === 'cancelled') {
        this.items.delete(t.fingerprint)
        continue
      }
      const push = t as AlertTransitionPush & { readonly kind: AlertPhase }
      this.items.set(t.fingerprint, {
        fingerprint: push.fingerprint,
        sourceId: push.sourceId,
        level: push.level,
        entity: push.entity,
        severity: push.severity,
        state: push.kind,
        explanation: push.explanation,
        labels: push.labels ?? cur?.labels ?? {},
        sinceMs: cur !== undefined && cur.state === push.kind ? cur.sinceMs : push.atMs,
        startedMs: cur !== undefined && cur.state !== 'resolved' ? cur.startedMs : push.atMs,
        endedMs: push.kind === 'resolved' ? push.atMs : null,
        atMs: push.atMs,
        // An acknowledgement lasts until the alert resolves.
        acknowledgedBy: push.kind === 'resolved' ? null : (cur?.acknowledgedBy ?? null),
        silenced: cur?.silenced ?? false,
      })
    }
    this.trim()
    this.changed()
  }

  /** Marks an alert acknowledged (after the API said so). */
  acknowledged(fingerprint: string, by: string): void {
    const cur = this.items.get(fingerprint)
    if (cur === undefined) return
    this.items.set(fingerprint, { ...cur, acknowledgedBy: by })
    this.changed()
  }

  /** Marks alerts silenced (after a silence was created for them). */
  silenced(fingerprints: readonly string[]): void {
    for (const fp of fingerprints) {
      const cur = this.items.get(fp)
      if (cur !== undefined) this.items.set(fp, { ...cur, silenced: true })
    }
    this.changed()
  }

  /** Pending and firing alerts per entity, keyed `level:id`. */
  openCountByEntity(): ReadonlyMap<string, number> {
    if (this.openCounts === undefined) {
      this.openCounts = new Map()
      for (const a of this.items.values()) {
        if (a.state === 'resolved') continue
        const key = `${a.level}:${a.entity}`
        this.openCounts.set(key, (this.openCounts.get(key) ?? 0) + 1)
      }
    }
    return this.openCounts
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getVersion = (): number => this.version

  private trim(): void {
    const resolved = [...this.items.values()].filter((a) => a.state === 'resolved')
    if (resolved.length <= RESOLVED_KEPT) return
    resolved.sort((a, b) => a.atMs - b.atMs)
    for (const a of resolved.slice(0, resolved.length - RESOLVED_KEPT)) this.items.delete(a.fingerprint)
  }

  private changed(): void {
    this.openCounts = undefined
    this.version++
    for (const l of this.listeners) l()
  }
}
