import type { ShardInfo } from './kinesis-shard-source.ts'

/** What the coordinator should do with leases this round. */
export interface AssignmentPlan {
  /** Shards that may be read now: not done, parents done (or gone past retention). */
  readonly readable: readonly string[]
  /** Fair share per worker: ceil(readable / live workers). */
  readonly target: number
  /** Readable shards this worker does not hold, to try to take (in order) up to the target. */
  readonly candidates: readonly string[]
  /** How many held shards to give back so others reach their share. */
  readonly releaseCount: number
}

/**
 * Decides lease moves. A child shard becomes readable only once its parents are finished;
 * a parent no longer listed has aged out of the stream and counts as finished. Pure.
 */
export function planAssignment(input: {
  readonly shards: readonly ShardInfo[]
  readonly done: ReadonlySet<string>
  readonly held: ReadonlySet<string>
  readonly liveWorkers: number
}): AssignmentPlan {
  const listed = new Set(input.shards.map((s) => s.shardId))
  const finished = (id: string | undefined) => id === undefined || !listed.has(id) || input.done.has(id)
  const readable = input.shards
    .filter((s) => !input.done.has(s.shardId) && finished(s.parentShardId) && finished(s.adjacentParentShardId))
    .map((s) => s.shardId)
  const target = Math.max(1, Math.ceil(readable.length / Math.max(1, input.liveWorkers)))
  const heldReadable = readable.filter((s) => input.held.has(s)).length
  return {
    readable,
    target,
    candidates: readable.filter((s) => !input.held.has(s)),
    releaseCount: Math.max(0, heldReadable - target),
  }
}
