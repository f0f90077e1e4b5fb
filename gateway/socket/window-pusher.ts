import type { Logger } from '../../core/log.ts'
import type { Level } from '../../stream/event.ts'
import type { EntityCatalog, LiveFeed } from '../deps.ts'
import { pacingOf } from '../entity-dto.ts'
import { toWindowsDto } from '../derived-metrics.ts'
import type { GatewayMetrics } from '../metrics.ts'
import type { WindowUpdate } from '../socket-events.ts'
import { entityRoom } from './rooms.ts'
import { RoundLoop } from './round-loop.ts'
import type { AdwatchServer } from './socket-server.ts'

interface Watched {
  readonly tenant: string
  readonly level: Level
  readonly id: string
}

/**
 * Follows the live windows' change feed on a fixed interval (10–50 ms) and pushes, per entity
 * room with a listener on this gateway, one `windows` message with the entity's latest
 * windows when it changed during the interval: a busy campaign costs each watcher one message
 * per interval, however many events it gets. Emits are local (`io.local`): every gateway
 * follows the feed itself and serves its own sockets, so the Redis adapter carries no
 * window traffic and no update is delivered twice.
 */
export class WindowPusher {
  private readonly watched = new Map<string, Watched>()
  private readonly loop: RoundLoop
  /** Time of the previous round's poll: entities changed after it are pushed next round. */
  private sinceMs = -Infinity

  constructor(
    private readonly io: AdwatchServer,
    private readonly live: LiveFeed,
    private readonly entities: EntityCatalog,
    private readonly metrics: GatewayMetrics,
    private readonly intervalMs: number,
    private readonly now: () => number,
    log: Logger,
  ) {
    this.loop = new RoundLoop({
      round: (startMs) => this.round(startMs),
      intervalMs,
      now,
      log,
      failure: 'window push round failed; retrying',
      afterRound: (ms) => metrics.pushDuration.observe(ms / 1000),
    })
  }

  /** Registers an entity room; returns its name for the socket to join. */
  watch(tenant: string, level: Level, id: string): string {
    const room = entityRoom(tenant, level, id)
    if (!this.watched.has(room)) this.watched.set(room, { tenant, level, id })
    return room
  }

  /** Current windows of entities, as pushed (for the subscribe answer). */
  async current(tenant: string, level: Level, ids: readonly string[]): Promise<WindowUpdate[]> {
    return this.updatesOf(tenant, level, ids, this.now())
  }

  /** Starts the loop (again, after stop()); its first round loads the live windows. */
  start(): void {
    this.loop.start()
  }

  /** Stops after the round in progress. */
  async stop(): Promise<void> {
    await this.loop.stop()
  }

  /**
   * One round: apply the feed, then one message per entity room with local listeners whose
   * entity changed since the previous round (by this round's poll or any poll in between, e.g.
   * a settings change reloading time zones). Round times strictly increase.
   */
  private async round(clockMs: number): Promise<void> {
    const nowMs = Math.max(clockMs, this.sinceMs + 1)
    await this.live.poll(nowMs)
    const sinceMs = this.sinceMs
    this.sinceMs = nowMs
    const localRooms = this.io.of('/').adapter.rooms
    const changed = new Map<string, Watched[]>()
    for (const [room, w] of this.watched) {
      if (!localRooms.has(room)) {
        this.watched.delete(room)
        continue
      }
      if ((this.live.lastChangeMs(w.tenant, w.level, w.id) ?? -Infinity) <= sinceMs) continue
      const group = `${w.tenant}\u0000${w.level}`
      const list = changed.get(group)
      if (list === undefined) changed.set(group, [w])
      else list.push(w)
    }
    for (const list of changed.values()) {
      const { tenant, level } = list[0]!
      for (const update of await this.updatesOf(tenant, level, list.map((w) => w.id), nowMs)) {
        this.io.local.to(entityRoom(tenant, level, update.id)).emit('windows', update)
        this.metrics.socketMessages.inc({ event: 'windows' })
      }
    }
  }

  private async updatesOf(tenant: string, level: Level, ids: readonly string[], nowMs: number): Promise<WindowUpdate[]> {
    const [views, settings] = await Promise.all([
      this.entities.views(tenant, level, ids, nowMs),
      level === 'campaign' ? this.entities.campaignSettings(tenant, ids) : Promise.resolve(new Map()),
    ])
    return [...views.values()].map((v) => ({
      level,
      id: v.id,
      atMs: nowMs,
      today: v.day.date,
      windows: toWindowsDto(v.windows),
      pacing: pacingOf(v, settings.get(v.id)?.dailyBudgetMicros, nowMs),
    }))
  }
}
