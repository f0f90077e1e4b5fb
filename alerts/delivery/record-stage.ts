import type { Delivery, DeliveryContext, DeliveryStage } from './delivery-stage.ts'

/**
 * Records the outcome: a delivered notification is acknowledged (and removed) in the outbox,
 * a given-up one moves to the tenant's dead-letter list; both are written to the history.
 * A pending (interrupted) delivery is left in the outbox for whoever holds the tenant next.
 */
export class RecordStage implements DeliveryStage {
  readonly name = 'record'

  async run(ctx: DeliveryContext, d: Delivery): Promise<Delivery> {
    if (d.outcome === 'delivered') await ctx.recorder.delivered(d)
    else if (d.outcome === 'dead-letter') {
      ctx.log.error({ tenant: d.notification.tenant, receiver: d.notification.receiver, notification: d.notification.id, attempts: d.attempts, code: d.error?.code, err: d.error?.message }, 'notification dead-lettered')
      await ctx.recorder.deadLettered(d)
    }
    return d
  }
}
