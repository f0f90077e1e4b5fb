import type { Alert } from '../alert.ts'
import type { NotifiedAlert } from '../notifiers/notifier.ts'
import type { CompiledRouting } from '../routing.ts'
import type { Silence } from '../silence.ts'
import type { TenantStateDraft } from '../tenant-state.ts'

/** A notification the outbox stage decided on, before the outbox gives it an id. */
export interface PendingNotification {
  readonly tenant: string
  readonly receiver: string
  readonly groupKey: string
  readonly groupLabels: Readonly<Record<string, string>>
  readonly alerts: readonly NotifiedAlert[]
  readonly createdAtMs: number
}

/** What every stage of one tenant's tick sees: the time, the tenant's settings and state. */
export interface StageContext {
  readonly nowMs: number
  readonly tenant: string
  readonly routing: CompiledRouting
  readonly silences: readonly Silence[]
  /** Live alerts, groups and acknowledgements; stages write their bookkeeping here. */
  readonly state: TenantStateDraft
  /** Notifications to append to the outbox in the tick's commit. */
  readonly outbox: PendingNotification[]
}

/**
 * One stage of the alert pipeline: it filters or annotates the alerts it is given (and may
 * keep bookkeeping in `ctx.state`); it never reaches past its neighbours.
 */
export interface AlertStage {
  readonly name: string
  run(ctx: StageContext, alerts: readonly Alert[]): Promise<readonly Alert[]>
}

/** Runs stages in order, each on the previous one's output; stops when no alerts remain. */
export class SequenceStage implements AlertStage {
  constructor(readonly name: string, readonly stages: readonly AlertStage[]) {}

  async run(ctx: StageContext, alerts: readonly Alert[]): Promise<readonly Alert[]> {
    let current = alerts
    for (const stage of this.stages) {
      if (current.length === 0) break
      current = await stage.run(ctx, current)
    }
    return current
  }
}
