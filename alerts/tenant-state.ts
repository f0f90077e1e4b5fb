import type { Acknowledgement, Alert, GroupState } from './alert.ts'

/** A tenant's alert pipeline state as loaded from Redis and kept in memory by its lease holder. */
export interface TenantState {
  readonly alerts: Map<string, Alert>
  readonly groups: Map<string, GroupState>
  readonly acks: Map<string, Acknowledgement>
}

/** The writes of one tick: `null` deletes. */
export interface StateChanges {
  readonly alerts: ReadonlyMap<string, Alert | null>
  readonly groups: ReadonlyMap<string, GroupState | null>
  readonly deletedAcks: ReadonlySet<string>
}

/** An empty state (a tenant with nothing stored). */
export function emptyTenantState(): TenantState {
  return { alerts: new Map(), groups: new Map(), acks: new Map() }
}

/**
 * A copy-on-write view of a tenant's state for one tick: stages read through it and write
 * into it; `changes()` is what the commit writes to Redis, and `apply()` folds it into the
 * base only after the commit succeeded (a failed commit leaves the base untouched).
 */
export class TenantStateDraft {
  private readonly alertChanges = new Map<string, Alert | null>()
  private readonly groupChanges = new Map<string, GroupState | null>()
  private readonly ackDeletes = new Set<string>()

  constructor(private readonly base: TenantState) {}

  alert(fingerprint: string): Alert | undefined {
    const c = this.alertChanges.get(fingerprint)
    return c === null ? undefined : (c ?? this.base.alerts.get(fingerprint))
  }

  /** Every live alert, with this tick's changes. */
  *alerts(): IterableIterator<Alert> {
    for (const [fp, a] of this.base.alerts) {
      const c = this.alertChanges.get(fp)
      if (c === undefined) yield a
      else if (c !== null) yield c
    }
    for (const [fp, c] of this.alertChanges) if (c !== null && !this.base.alerts.has(fp)) yield c
  }

  setAlert(a: Alert): void {
    this.alertChanges.set(a.fingerprint, a)
  }

  deleteAlert(fingerprint: string): void {
    if (this.base.alerts.has(fingerprint)) this.alertChanges.set(fingerprint, null)
    else this.alertChanges.delete(fingerprint)
  }

  group(key: string): GroupState | undefined {
    const c = this.groupChanges.get(key)
    return c === null ? undefined : (c ?? this.base.groups.get(key))
  }

  *groups(): IterableIterator<GroupState> {
    for (const [k, g] of this.base.groups) {
      const c = this.groupChanges.get(k)
      if (c === undefined) yield g
      else if (c !== null) yield c
    }
    for (const [k, c] of this.groupChanges) if (c !== null && !this.base.groups.has(k)) yield c
  }

  setGroup(g: GroupState): void {
    this.groupChanges.set(g.key, g)
  }

  deleteGroup(key: string): void {
    if (this.base.groups.has(key)) this.groupChanges.set(key, null)
    else this.groupChanges.delete(key)
  }

  ack(fingerprint: string): Acknowledgement | undefined {
    return this.ackDeletes.has(fingerprint) ? undefined : this.base.acks.get(fingerprint)
  }

  deleteAck(fingerprint: string): void {
    if (this.base.acks.has(fingerprint)) this.ackDeletes.add(fingerprint)
  }

  hasChanges(): boolean {
    return this.alertChanges.size > 0 || this.groupChanges.size > 0 || this.ackDeletes.size > 0
  }

  changes(): StateChanges {
    return { alerts: this.alertChanges, groups: this.groupChanges, deletedAcks: this.ackDeletes }
  }

  /** Folds the changes into the base state (after they were committed). */
  apply(): void {
    for (const [fp, a] of this.alertChanges) {
      if (a === null) this.base.alerts.delete(fp)
      else this.base.alerts.set(fp, a)
    }
    for (const [k, g] of this.groupChanges) {
      if (g === null) this.base.groups.delete(k)
      else this.base.groups.set(k, g)
    }
    for (const fp of this.ackDeletes) this.base.acks.delete(fp)
  }
}
