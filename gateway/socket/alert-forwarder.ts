import type { Logger } from '../../core/log.ts'
import { transitionPush } from '../alerting/alert-dto.ts'
import type { AlertEventFeed } from '../alerting/alerting-stores.ts'
import type { AlertTransitionPush } from '../socket-events.ts'
import { tenantRoom } from './rooms.ts'
import { RoundLoop } from './round-loop.ts'
import type { AdwatchServer } from './socket-server.ts'

/** How often the forwarder reads the followed tenants' alert event logs. */
export const ALERT_FORWARD_INTERVAL_MS = 100
/** Most entries read per tenant per round (the rest follow next round). */
const READ_COUNT = 500

/** Where the forwarder learns which tenants to follow, and sends their transitions. */
export interface AlertForwarderPorts {
  readonly feed: AlertEventFeed
  /** Tenants with a socket on this gateway (their tenant room exists here). */
  localTenants(): Iterable<string>
  /** Sends a transition to the tenant's sockets on this gateway only. */
  emit(tenant: string, push: AlertTransitionPush): void
  readonly intervalMs: number
  readonly log: Logger
}

/**
 * Pushes alert transitions live: follows the alert event log (`<prefix>:{tenant}:alert-events`,
 * written by the rules engine and the detectors) of every tenant with a socket on this gateway,
 * and emits each new entry as `alert:transition` to the tenant's room, locally (`io.local`).
 * Every gateway follows the logs itself and serves only its own sockets, so with several
 * gateways and the Redis adapter each client gets each transition once. A tenant is followed
 * from the log's end when its first socket arrives, and dropped when its last one leaves (the
 * dashboard re-reads `GET /alerts` on every connect for what came before).
 */
export class AlertForwarder {
  private readonly cursors = new Map<string, string>()
  private readonly loop: RoundLoop
  forwarded = 0

  constructor(private readonly ports: AlertForwarderPorts) {
    this.loop = new RoundLoop({ round: () => this.round(), intervalMs: ports.intervalMs, now: () => performance.now(), log: ports.log, failure: 'alert forward round failed; retrying' })
  }

  /** One round: start following new tenants, forget gone ones, forward new entries. */
  async round(): Promise<void> {
    const tenants = new Set(this.ports.localTenants())
    for (const t of this.cursors.keys()) if (!tenants.has(t)) this.cursors.delete(t)
    await Promise.all(
      [...tenants].map(async (tenant) => {
        const cursor = this.cursors.get(tenant)
        if (cursor === undefined) {
          this.cursors.set(tenant, await this.ports.feed.tail(tenant))
          return
        }
        const entries = await this.ports.feed.read(tenant, cursor, READ_COUNT)
        if (entries.length === 0 || this.cursors.get(tenant) !== cursor) return
        for (const { event } of entries) {
          // The log is the tenant's own; an entry naming another tenant is never forwarded.
          if (event.tenant !== tenant) continue
          this.ports.emit(tenant, transitionPush(event))
          this.forwarded++
        }
        this.cursors.set(tenant, entries[entries.length - 1]!.id)
      }),
    )
  }

  /** Starts following (again, after stop()). */
  start(): void {
    this.loop.start()
  }

  /** Stops after the round in progress. */
  async stop(): Promise<void> {
    await this.loop.stop()
  }
}

/** The forwarder of a Socket.IO server: tenants from its local tenant rooms, emits local to them. */
export function createAlertForwarder(io: AdwatchServer, feed: AlertEventFeed, log: Logger, onEmit: () => void, intervalMs = ALERT_FORWARD_INTERVAL_MS): AlertForwarder {
  const prefix = tenantRoom('')
  return new AlertForwarder({
    feed,
    intervalMs,
    log,
    *localTenants() {
      for (const room of io.of('/').adapter.rooms.keys()) if (room.startsWith(prefix)) yield room.slice(prefix.length)
    },
    emit(tenant, push) {
      io.local.to(tenantRoom(tenant)).emit('alert:transition', push)
      onEmit()
    },
  })
}
