/**
 * The Socket.IO contract between the gateway and web/, declared once: the server is a
 * `Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>` and the
 * browser a `Socket<ServerToClientEvents, ClientToServerEvents>`. Type-only imports, so web/
 * can import this file as is.
 *
 * Handshake: `io(url, { auth: { token: '<JWT or API key>' } })`. On connect a socket is in
 * its tenant's room (settings, alert and rule events); `subscribe` adds entity rooms, whose
 * window updates are coalesced per room every ADW_GATEWAY_PUSH_INTERVAL_MS (10–50 ms).
 */
import type { AccountSettingsDto, CampaignSettingsDto, Level, PacingDto, WindowsDto } from './api-types.ts'
import type { Principal } from './auth/principal.ts'

/** An entity of the caller's tenant; the tenant is never named by the client. */
export interface EntityRef {
  readonly level: Level
  readonly id: string
}

/** Updates per `windows` message at most: a burst (every entity of a big dashboard at once) comes as several, each a short task to parse. */
export const WINDOW_BATCH_MAX = 500

/** The live windows of one entity after a change (or on subscribe). */
export interface WindowUpdate {
  readonly level: Level
  readonly id: string
  /** Server time the windows were computed, epoch ms. */
  readonly atMs: number
  /** The account-local date "today" means. */
  readonly today: string
  readonly windows: WindowsDto
  /** Campaigns with a daily budget only. */
  readonly pacing: PacingDto | null
}

/** A settings change of one of the tenant's entities (sent to the tenant room). */
export type SettingsChange =
  | { readonly kind: 'campaign'; readonly id: string; readonly settings: CampaignSettingsDto }
  | { readonly kind: 'account'; readonly id: string; readonly settings: AccountSettingsDto }

/**
 * An alert lifecycle transition, as the rules engine or a detector logged it (the gateway
 * forwards each tenant's alert event log to its room). `cancelled`: a pending alert whose
 * condition cleared before `for` elapsed (never notified; it leaves the feed).
 */
export interface AlertTransitionPush {
  readonly kind: 'pending' | 'firing' | 'resolved' | 'cancelled'
  readonly fingerprint: string
  /** Always sent by the gateway's forwarder. */
  readonly source?: 'rule' | 'detector'
  readonly sourceId: string
  readonly level: Level
  readonly entity: string
  readonly severity: string
  readonly explanation: string
  /** The alert's labels (for silences); always sent by the gateway's forwarder. */
  readonly labels?: Readonly<Record<string, string>>
  readonly atMs: number
}

/** A rule saved, restored or deleted (sent to the tenant room by the rules routes). */
export interface RuleChangePush {
  readonly kind: 'saved' | 'deleted'
  readonly ruleId: string
  readonly version: number
  readonly author: string
  readonly atMs: number
}

/** A failed request's answer; codes as in docs/errors.md. */
export interface AckError {
  readonly ok: false
  readonly error: { readonly code: string; readonly message: string }
}

export type SubscribeAck = { readonly ok: true; readonly current: readonly WindowUpdate[] } | AckError
export type UnsubscribeAck = { readonly ok: true } | AckError

export interface ClientToServerEvents {
  /** Joins the entities' rooms (at most ADW_GATEWAY_MAX_SUBSCRIPTIONS); answers their current windows. */
  subscribe: (request: { readonly entities: readonly EntityRef[] }, ack: (res: SubscribeAck) => void) => void
  unsubscribe: (request: { readonly entities: readonly EntityRef[] }, ack: (res: UnsubscribeAck) => void) => void
}

export interface ServerToClientEvents {
  /**
   * The windows of the watched entities that changed since the socket's previous `windows`
   * message: one message per socket per push round (at most WINDOW_BATCH_MAX updates; more
   * come as several), an entity at most once in it.
   */
  windows: (updates: WindowUpdate[]) => void
  settings: (change: SettingsChange) => void
  'alert:transition': (transition: AlertTransitionPush) => void
  'rule:changed': (change: RuleChangePush) => void
}

/** Between gateways, through the Redis adapter. */
export interface InterServerEvents {
  /** An API key was revoked: drop it from every gateway's cache and disconnect its sockets. */
  apiKeyRevoked: (keyId: string) => void
  /** A tenant's settings changed: drop cached settings. */
  settingsChanged: (tenant: string) => void
}

/** What the server keeps per socket. */
export interface SocketData {
  principal: Principal
}
