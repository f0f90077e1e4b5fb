import type { Logger } from '../../core/log.ts'
import type { Level } from '../../stream/event.ts'
import type { EntityCatalog, LiveFeed } from '../deps.ts'
import { pacingOf } from '../entity-dto.ts'
import { toWindowsDto } from '../derived-metrics.ts'
import type { GatewayMetrics } from '../metrics.ts'
import { WINDOW_BATCH_MAX, type WindowUpdate } from '../socket-events.ts'
import { entityRoom } from './rooms.ts'
import { RoundLoop } from './round-loop.ts'
import type { AdwatchServer } from './socket-server.ts'

interface Watched {
  readonly tenant: string
  readonly level: Level
  readonly id: string
}

/**
 * Follows the live windows' change feed on a fixed interval (10–50 ms) and pushes, to each
 * socket of this gateway watching entities that changed during the interval, one `windows`
 * message holding those entities' latest windows: coalesced per entity room (a busy campaign
 * is one update per interval, however many events it gets) and batched per socket (a
 * dashboard watching 5,000 campaigns gets a message per interval, not thousands: each message
 * is a task in the browser and a frame to write here). Emits are local (`io.local`): every
 * gateway follows the feed itself and serves its own sockets, so the Redis adapter carries no
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
   * One round: apply the feed, then to each local socket in the room of an entity that changed
   * since the previous round (by this round's poll or any poll in between, e.g. a settings
   * change reloading time zones) one message with all of its changed entities. Round times
   * strictly increase.
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
    const bySocket = new Map<string, WindowUpdate[]>()
    for (const list of changed.values()) {
      const { tenant, level } = list[0]!
      for (const update of await this.updatesOf(tenant, level, list.map((w) => w.id), nowMs)) {
        const sockets = localRooms.get(entityRoom(tenant, level, update.id))
        if (sockets === undefined) continue // left while the windows were read
        for (const sid of sockets) {
          const batch = bySocket.get(sid)
          if (batch === undefined) bySocket.set(sid, [update])
          else batch.push(update)
        }
      }
    }
    // Every socket is in the room named by its id.
    for (const [sid, updates] of bySocket) {
      for (let i = 0; i < updates.length; i += WINDOW_BATCH_MAX) {
        this.io.local.to(sid).emit('windows', updates.length <= WINDOW_BATCH_MAX ? updates : updates.slice(i, i + WINDOW_BATCH_MAX))
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
