import { RateLimitStage } from './delivery/rate-limit-stage.ts'
import { RecordStage } from './delivery/record-stage.ts'
import type { DeliveryStage } from './delivery/delivery-stage.ts'
import { RetryStage } from './delivery/retry-stage.ts'
import { DedupStage } from './stages/dedup-stage.ts'
import { GroupStage } from './stages/group-stage.ts'
import { InhibitStage } from './stages/inhibit-stage.ts'
import { OutboxStage } from './stages/outbox-stage.ts'
import { RouteStage } from './stages/route-stage.ts'
import { SequenceStage } from './stages/stage.ts'
import { SilenceStage } from './stages/silence-stage.ts'

/**
 * The alert pipeline, in the one place its order is read. Each tick runs the first part on a
 * tenant's live alerts; its last stage writes notifications to the durable outbox. Each
 * outbox entry then goes through the delivery stages of its receiver.
 *
 *   dedup ▸ group ▸ inhibit ▸ silence ▸ route ▸ outbox  ⇢  per receiver: rate limit ▸ retry ▸ record
 */
export function buildAlertPipeline(): SequenceStage {
  return new SequenceStage('alerts', [new DedupStage(), new GroupStage(), new InhibitStage(), new SilenceStage(), new RouteStage(), new OutboxStage()])
}

/** The stages every notification of a receiver goes through, in order. */
export function buildDeliveryStages(): readonly DeliveryStage[] {
  return [new RateLimitStage(), new RetryStage(), new RecordStage()]
}
