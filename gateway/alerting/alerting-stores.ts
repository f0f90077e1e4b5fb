import type {
  Acknowledgement, ActiveAlert, AlertEvent, AlertHistoryRow, ConfigProblem, HistoryFilter, Silence, SilenceInput, SilenceState, StoredRoutingConfig,
} from '../../alerts/index.ts'

/**
 * What the alert routes and the live alert push need of the alerts part, as narrow interfaces:
 * gateway/runtime.ts passes the alerts part's Redis and ClickHouse stores (alerts/index.ts),
 * unit tests pass gateway/testing/alerting-fakes.ts. Every method takes the caller's tenant.
 */

/** Live alerts (pending, firing, recently resolved) with acknowledgement and silences: RedisAlertQueries. */
export interface LiveAlertReader {
  /** Firing first, newest first. */
  active(tenant: string): Promise<ActiveAlert[]>
}

/** Acknowledgements: RedisAckStore. Throws AlertNotFoundError / SilenceInvalidError. */
export interface AckStore {
  acknowledge(tenant: string, fingerprint: string, by: { author: string; comment?: string }): Promise<Acknowledgement>
  unacknowledge(tenant: string, fingerprint: string): Promise<void>
}

/** Silences: RedisSilenceStore. Throws SilenceInvalidError (naming the field) / AlertNotFoundError. */
export interface SilenceStore {
  create(tenant: string, input: SilenceInput): Promise<Silence>
  expire(tenant: string, id: string): Promise<Silence>
  get(tenant: string, id: string): Promise<Silence>
  list(tenant: string): Promise<Array<Silence & { state: SilenceState }>>
}

/** Routing configs (receivers, routes, grouping, inhibit rules): RedisRoutingStore. */
export interface RoutingStore {
  validate(input: unknown): ConfigProblem[]
  get(tenant: string): Promise<StoredRoutingConfig | undefined>
  /** Validates and saves; throws RoutingConfigError naming each JSON path. */
  put(tenant: string, input: unknown, author: string): Promise<StoredRoutingConfig>
  remove(tenant: string): Promise<void>
  version(tenant: string): Promise<number>
}

/** Stored transitions: ClickHouseAlertHistory. */
export interface AlertHistoryReader {
  transitions(tenant: string, f?: HistoryFilter): Promise<AlertHistoryRow[]>
}

/** A tenant's alert event log (Redis stream `<prefix>:{tenant}:alert-events`). */
export interface AlertEventFeed {
  /** The id of the newest entry ('0-0' when the log is empty): where following it starts. */
  tail(tenant: string): Promise<string>
  /** Entries after `afterId`, oldest first, at most `count`. */
  read(tenant: string, afterId: string, count: number): Promise<Array<{ id: string; event: AlertEvent }>>
}

/** The alerts part as the gateway sees it. */
export interface AlertingStores {
  readonly alerts: LiveAlertReader
  readonly acks: AckStore
  readonly silences: SilenceStore
  readonly routing: RoutingStore
  readonly history: AlertHistoryReader
  readonly events: AlertEventFeed
}
