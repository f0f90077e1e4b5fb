import { io, type Socket } from 'socket.io-client'
import type {
  AlertTransitionPush, ClientToServerEvents, EntityRef, RuleChangePush, ServerToClientEvents, SettingsChange, SubscribeAck, WindowUpdate,
} from '../../../gateway/socket-events.ts'
import { FrameCoalescer } from './frame-coalescer.ts'
import { animationFrames, type FrameScheduler } from './frame-scheduler.ts'
import { chunk, entityKey, planSubscriptions, type SubscriptionPlan } from './subscription-plan.ts'

/** The socket as the dashboard types it (event maps from gateway/socket-events.ts). */
export type DashboardSocket = Socket<ServerToClientEvents, ClientToServerEvents>

/** What the header's connection badge shows. */
export type ConnectionState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live' }
  | { readonly kind: 'reconnecting'; readonly reason: string }
  | { readonly kind: 'offline'; readonly reason: string }

/** Options of a LiveConnection; tests pass a fake socket and manual frames. */
export interface LiveConnectionOptions {
  readonly token: string
  readonly frames?: FrameScheduler
  readonly socket?: DashboardSocket
  /** Entities per subscribe request. */
  readonly chunkSize?: number
  /** Window updates applied per animation frame at most (the rest wait for the next frames). */
  readonly maxUpdatesPerFrame?: number
  /** Delay that gathers interest changes into one sync. */
  readonly syncDelayMs?: number
  readonly ackTimeoutMs?: number
  /** Wait before planning again after a subscribe request timed out or was refused. */
  readonly retryDelayMs?: number
  /** Wait before connecting again after the gateway closed the socket. */
  readonly serverDisconnectRetryMs?: number
  /** Called when the gateway refuses the credentials (log in again). */
  readonly onAuthRejected?: (message: string) => void
}

type Handler<T> = (batch: readonly T[]) => void

const WINDOW_KEY = (u: WindowUpdate) => `${u.level}:${u.id}`

/**
 * The dashboard's Socket.IO connection: authenticated with the session's token, reconnecting
 * by itself (a gateway restart needs no page reload: on every connect the subscriptions are
 * made again), pushes coalesced per animation frame (window updates: the latest per entity;
 * alert transitions: the latest per fingerprint), and subscriptions kept to the union of the
 * views' interests, in priority order, within the gateway's per-socket limit.
 */
export class LiveConnection {
  readonly socket: DashboardSocket
  private stateValue: ConnectionState = { kind: 'connecting' }
  private readonly stateListeners = new Set<(s: ConnectionState) => void>()
  private readonly windowHandlers = new Set<Handler<WindowUpdate>>()
  private readonly alertHandlers = new Set<Handler<AlertTransitionPush>>()
  private readonly ruleHandlers = new Set<(c: RuleChangePush) => void>()
  private readonly settingsHandlers = new Set<(c: SettingsChange) => void>()
  private readonly interests = new Map<string, { priority: number; entities: Map<string, EntityRef> }>()
  /** How many interest groups want each entity (key `level:id`). */
  private readonly wantedBy = new Map<string, number>()
  /** Entities that became wanted / unwanted since the last sync (incremental sync while no limit applies). */
  private readonly added = new Map<string, EntityRef>()
  private readonly removed = new Map<string, EntityRef>()
  /** The next sync plans from scratch (after a connect, a refusal or a timeout). */
  private fullSync = true
  private readonly subscribed = new Map<string, EntityRef>()
  readonly windows: FrameCoalescer<WindowUpdate>
  readonly alerts: FrameCoalescer<AlertTransitionPush>
  /** Entities per socket the gateway accepts; learned from its refusal. */
  budget = Number.POSITIVE_INFINITY
  /** Subscribe requests that timed out or were refused (each is retried with a full plan). */
  syncFailures = 0
  private syncTimer: ReturnType<typeof setTimeout> | undefined
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private readonly serverDisconnectRetryMs: number
  private syncing: Promise<void> | undefined
  private syncAgain = false
  private closed = false
  private readonly chunkSize: number
  private readonly syncDelayMs: number
  private readonly ackTimeoutMs: number
  private readonly retryDelayMs: number

  constructor(private readonly opts: LiveConnectionOptions) {
    const frames = opts.frames ?? animationFrames
    this.chunkSize = opts.chunkSize ?? 250
    this.syncDelayMs = opts.syncDelayMs ?? 30
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 15_000
    this.retryDelayMs = opts.retryDelayMs ?? 2_000
    this.serverDisconnectRetryMs = opts.serverDisconnectRetryMs ?? 1_000
    // At most 400 window updates a frame: a reconnect's 5,000 current windows arrive over ~13 frames.
    this.windows = new FrameCoalescer(frames, WINDOW_KEY, (b) => this.windowHandlers.forEach((h) => h(b)), (a, b) => a.atMs >= b.atMs, opts.maxUpdatesPerFrame ?? 400)
    this.alerts = new FrameCoalescer(frames, (t) => t.fingerprint, (b) => this.alertHandlers.forEach((h) => h(b)), (a, b) => a.atMs >= b.atMs)
    this.socket =
      opts.socket ??
      io({
        auth: { token: opts.token },
        // WebSocket only: no long-polling round trips, and no sticky sessions behind a load balancer.
        transports: ['websocket'],
        reconnectionDelay: 250,
        reconnectionDelayMax: 2_000,
        autoConnect: false,
      })
    this.socket.on('connect', () => {
      this.subscribed.clear() // a new server-side socket has no rooms yet
      this.fullSync = true
      this.setState({ kind: 'live' })
      this.scheduleSync(0)
    })
    this.socket.on('disconnect', (reason) => {
      if (this.closed) return
      if (reason === 'io server disconnect') {
        // The gateway closed the socket (it is shutting down, or the credentials were revoked);
        // socket.io does not retry that by itself. Try again: a refused handshake ends offline.
        this.setState({ kind: 'reconnecting', reason })
        this.connectAgainIn(this.serverDisconnectRetryMs)
        return
      }
      this.setState(this.socket.active ? { kind: 'reconnecting', reason } : { kind: 'offline', reason })
    })
    this.socket.on('connect_error', (err) => {
      if (this.closed) return
      const refusal = (err as Error & { data?: { code?: string; retryAfterSec?: number } }).data
      if (this.socket.active) {
        this.setState({ kind: 'reconnecting', reason: err.message })
      } else if (refusal?.code === 'ADW_GATEWAY_RATE_LIMITED') {
        // Too many handshakes in the gateway's window: the credentials are fine, try again after it.
        this.setState({ kind: 'reconnecting', reason: err.message })
        // Spread a little, so the pages refused together do not all come back at the same instant.
        const waitMs = Math.max(this.serverDisconnectRetryMs, (refusal.retryAfterSec ?? 0) * 1000)
        this.connectAgainIn(waitMs + Math.random() * Math.min(1_000, waitMs / 2))
      } else {
        // The handshake was refused (bad or expired credentials): no automatic retry.
        this.setState({ kind: 'offline', reason: err.message })
        opts.onAuthRejected?.(err.message)
      }
    })
    this.socket.on('windows', (updates) => {
      for (const u of updates) this.windows.push(u)
    })
    this.socket.on('alert:transition', (t) => this.alerts.push(t))
    this.socket.on('rule:changed', (c) => this.ruleHandlers.forEach((h) => h(c)))
    this.socket.on('settings', (c) => this.settingsHandlers.forEach((h) => h(c)))
  }

  /** Connects again after `ms`, unless closed or connected by then (socket.io does not retry a server's refusal by itself). */
  private connectAgainIn(ms: number): void {
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      if (!this.closed && !this.socket.connected) this.socket.connect()
    }, ms)
  }

  /** Opens the socket (once). */
  open(): void {
    if (!this.socket.connected && !this.socket.active) this.socket.connect()
  }

  get state(): ConnectionState {
    return this.stateValue
  }

  /** Entities currently subscribed. */
  get subscriptionCount(): number {
    return this.subscribed.size
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  onWindows(handler: Handler<WindowUpdate>): () => void {
    this.windowHandlers.add(handler)
    return () => this.windowHandlers.delete(handler)
  }

  onAlerts(handler: Handler<AlertTransitionPush>): () => void {
    this.alertHandlers.add(handler)
    return () => this.alertHandlers.delete(handler)
  }

  onRuleChange(handler: (c: RuleChangePush) => void): () => void {
    this.ruleHandlers.add(handler)
    return () => this.ruleHandlers.delete(handler)
  }

  onSettings(handler: (c: SettingsChange) => void): () => void {
    this.settingsHandlers.add(handler)
    return () => this.settingsHandlers.delete(handler)
  }

  /**
   * Declares what a view wants live; lower `priority` numbers are served first when the
   * gateway's limit cuts the list. An empty list withdraws the interest.
   */
  setInterest(group: string, priority: number, entities: readonly EntityRef[]): void {
    const old = this.interests.get(group)
    const keys = new Map<string, EntityRef>()
    let changed = false
    for (const e of entities) {
      const k = entityKey(e)
      if (keys.has(k)) continue
      keys.set(k, e)
      if (old?.entities.has(k) === true) continue
      changed = true
      const n = this.wantedBy.get(k) ?? 0
      this.wantedBy.set(k, n + 1)
      if (n === 0) {
        this.added.set(k, e)
        this.removed.delete(k)
      }
    }
    if (old !== undefined) {
      for (const [k, e] of old.entities) {
        if (keys.has(k)) continue
        changed = true
        const n = this.wantedBy.get(k)! - 1
        if (n > 0) {
          this.wantedBy.set(k, n)
          continue
        }
        this.wantedBy.delete(k)
        this.removed.set(k, e)
        this.added.delete(k)
      }
    }
    if (keys.size === 0) this.interests.delete(group)
    else this.interests.set(group, { priority, entities: keys })
    // A scrolled table re-declares its visible rows often: while no limit applies and every one
    // of them is watched already, nothing is sent (and nothing is planned over 5,000 entities).
    const limited = Number.isFinite(this.budget)
    if (this.added.size === 0 && this.removed.size === 0 && !this.fullSync && !(limited && (changed || old?.priority !== priority))) return
    this.scheduleSync(this.syncDelayMs)
  }

  /**
   * Adds entities to a group's interest, keeping what it has (a list that arrives in pages:
   * each page is watched as it comes, in O(page)); `setInterest` with the whole list then
   * drops what is gone.
   */
  addInterest(group: string, priority: number, entities: readonly EntityRef[]): void {
    let current = this.interests.get(group)
    if (current === undefined) this.interests.set(group, (current = { priority, entities: new Map() }))
    let added = false
    for (const e of entities) {
      const k = entityKey(e)
      if (current.entities.has(k)) continue
      current.entities.set(k, e)
      const n = this.wantedBy.get(k) ?? 0
      this.wantedBy.set(k, n + 1)
      if (n === 0) {
        this.added.set(k, e)
        this.removed.delete(k)
        added = true
      }
    }
    if (added || this.fullSync || (Number.isFinite(this.budget) && current.entities.size > 0)) this.scheduleSync(this.syncDelayMs)
  }

  /** Entities a group wants now. */
  interestSize(group: string): number {
    return this.interests.get(group)?.entities.size ?? 0
  }

  /** Closes the socket for good (logout). */
  close(): void {
    this.closed = true
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer)
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer)
    this.windows.dispose()
    this.alerts.dispose()
    this.socket.disconnect()
    this.setState({ kind: 'offline', reason: 'logged out' })
  }

  /** Resolves when no subscription change is pending or in flight (tests). */
  async settled(): Promise<void> {
    while (this.syncTimer !== undefined || this.syncing !== undefined) {
      await (this.syncing ?? new Promise((r) => setTimeout(r, this.syncDelayMs + 1)))
    }
  }

  /**
   * What to send: with no limit learned, the entities that became wanted or unwanted since
   * the last sync (O(changes)); else, or after a connect or a failed request, the full plan in
   * priority order within the budget.
   */
  private plan(): SubscriptionPlan {
    if (this.fullSync || Number.isFinite(this.budget)) {
      this.fullSync = false
      this.added.clear()
      this.removed.clear()
      return planSubscriptions(this.wanted(), this.subscribed, this.budget)
    }
    const subscribe: EntityRef[] = []
    const unsubscribe: EntityRef[] = []
    for (const [k, e] of this.added) if (!this.subscribed.has(k)) subscribe.push(e)
    for (const [k, e] of this.removed) if (this.subscribed.has(k)) unsubscribe.push(e)
    this.added.clear()
    this.removed.clear()
    return { subscribe, unsubscribe }
  }

  private wanted(): EntityRef[] {
    const groups = [...this.interests.values()].sort((a, b) => a.priority - b.priority)
    return groups.flatMap((g) => [...g.entities.values()])
  }

  private scheduleSync(delayMs: number): void {
    if (this.closed) return
    if (this.syncTimer !== undefined) clearTimeout(this.syncTimer)
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined
      if (this.syncing !== undefined) {
        this.syncAgain = true
        return
      }
      this.syncing = this.sync().finally(() => {
        this.syncing = undefined
        if (this.syncAgain) {
          this.syncAgain = false
          this.scheduleSync(0)
        }
      })
    }, delayMs)
  }

  private async sync(): Promise<void> {
    if (!this.socket.connected) return // done again on connect
    const plan = this.plan()
    for (const part of chunk(plan.unsubscribe, 1000)) {
      for (const e of part) this.subscribed.delete(entityKey(e))
      this.socket.emit('unsubscribe', { entities: part }, () => {})
    }
    for (const part of chunk(plan.subscribe, this.chunkSize)) {
      const res = await this.subscribe(part)
      if (!this.socket.connected || this.closed) return
      if (res === undefined || !res.ok) {
        this.syncFailures++
        this.fullSync = true
        // Over the gateway's per-socket limit: remember it; lower priorities stay unsubscribed
        // (the overview polls them over REST).
        if (res !== undefined && (/LIMIT|TOO_MANY|SUBSCRIPTION/i.test(res.error.code) || /at most|limit/i.test(res.error.message))) this.budget = this.subscribed.size
        // Timed out (a loaded gateway) or refused otherwise: plan again from scratch shortly.
        else this.scheduleSync(this.retryDelayMs)
        return
      }
      for (const e of part) this.subscribed.set(entityKey(e), e)
      for (const u of res.current) this.windows.push(u)
    }
  }

  private subscribe(entities: readonly EntityRef[]): Promise<SubscribeAck | undefined> {
    return new Promise((resolve) => {
      this.socket.timeout(this.ackTimeoutMs).emit('subscribe', { entities }, (err: Error | null, res: SubscribeAck) => resolve(err ? undefined : res))
    })
  }

  private setState(s: ConnectionState): void {
    this.stateValue = s
    for (const l of this.stateListeners) l(s)
  }
}
