import type { Level } from './event.ts'

/**
 * Life of a shard's own keys (lease token counter, Redis checkpoint, "done" marker): longer
 * than Kinesis' longest retention (365 days), so no shard whose records can still be read
 * loses them. A finished parent whose marker expired would be leased and read again (its
 * children held back meanwhile); an idle shard whose checkpoint expired would be read again
 * from its start position.
 */
export const SHARD_STATE_TTL_SEC = 400 * 86_400

/**
 * Every Redis key adwatch uses is built here. Tenant data keys carry the tenant as a Redis
 * Cluster hash tag (`{tenant}`), so one tenant's keys can live on one slot.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /** Set of registered tenants; events of other tenants are dead-lettered. */
  tenants(): string {
    return `${this.prefix}:tenants`
  }

  /** Account settings (time zone, name) of one account: hash. */
  accountSettings(tenant: string, account: string): string {
    return `${this.prefix}:{${tenant}}:account:${account}`
  }

  /** Settings of one campaign (name, daily budget): hash. */
  campaignSettings(tenant: string, campaign: string): string {
    return `${this.prefix}:{${tenant}}:campaign:${campaign}`
  }

  /** Hash account → IANA time zone, one per tenant, read by the fold for "today" totals. */
  accountTimeZones(tenant: string): string {
    return `${this.prefix}:{${tenant}}:account-tz`
  }

  /** Minute buckets of one entity for one hour: hash `<minute 0-59>:<metric letter>` → sum. */
  minuteBuckets(tenant: string, level: Level, entity: string, hourStartMs: number): string {
    return `${this.prefix}:{${tenant}}:mb:${level}:${entity}:${hourStartMs}`
  }

  /** Totals of one entity for one local day (`YYYY-MM-DD` in the account's time zone). */
  dayTotals(tenant: string, level: Level, entity: string, day: string): string {
    return `${this.prefix}:{${tenant}}:day:${level}:${entity}:${day}`
  }

  /** Sorted set entity → last time (ms) its counters changed, per level. */
  activeEntities(tenant: string, level: Level): string {
    return `${this.prefix}:{${tenant}}:active:${level}`
  }

  /**
   * Change feed of one tenant: a stream entry per batch with the minute and day deltas it
   * applied (see live-windows.ts), written in the same script as the counters.
   */
  changes(tenant: string): string {
    return `${this.prefix}:{${tenant}}:changes`
  }

  /** Entity metadata: platform, account, campaign, adset, currency. */
  entityMeta(tenant: string, level: Level, entity: string): string {
    return `${this.prefix}:{${tenant}}:meta:${level}:${entity}`
  }

  /** Alert states of a tenant: hash fingerprint → JSON (pending and firing only). */
  alertStates(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alert-states`
  }

  /** Log of a tenant's alert events (pending / firing / resolved): a stream. */
  alertEvents(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alert-events`
  }

  /** Detector alert states of a tenant: hash fingerprint → JSON (pending and firing only). */
  detectorAlertStates(tenant: string): string {
    return `${this.prefix}:{${tenant}}:detector-alert-states`
  }

  /** Live alerts of the alert pipeline: hash fingerprint → alert JSON (pending, firing, recently resolved). */
  alerts(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alerts`
  }

  /** Aggregation groups of the alert pipeline: hash group key → timers JSON. */
  alertGroups(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alert-groups`
  }

  /** Acknowledgements: hash fingerprint → JSON; removed when the alert resolves. */
  alertAcks(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alert-acks`
  }

  /** Silences: hash id → JSON; expired ones are pruned after their retention. */
  silences(tenant: string): string {
    return `${this.prefix}:{${tenant}}:silences`
  }

  /** The tenant's alert routing config: hash json, version, author, saved_at_ms. */
  alertRouting(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alert-routing`
  }

  /** Counter bumped on every silence, acknowledgement or routing change, so the pipeline reloads them. */
  alertsRevision(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alerts-rev`
  }

  /** The notification outbox: a stream of notifications (one per group or alert and receiver). */
  alertOutbox(tenant: string): string {
    return `${this.prefix}:{${tenant}}:outbox`
  }

  /** Notifications that failed for good: list of JSON, newest first, capped. */
  alertDeadLetters(tenant: string): string {
    return `${this.prefix}:{${tenant}}:outbox-dead`
  }

  /** Lease of a tenant's alert pipeline: `owner|token`, with a PX expiry. */
  alertsLease(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alerts-lease`
  }

  /** Number of ticks committed for a tenant's alert pipeline: makes a commit sent twice apply once. */
  alertsCommitSeq(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alerts-commit-seq`
  }

  /** Fencing counter of a tenant's alerts lease. */
  alertsLeaseToken(tenant: string): string {
    return `${this.prefix}:{${tenant}}:alerts-lease-token`
  }

  /** Sorted set alerts process id → last heartbeat (ms), for sharing tenants fairly. */
  alertsWorkers(): string {
    return `${this.prefix}:alerts-workers`
  }

  /** Current rules of a tenant: hash id → stored rule JSON. */
  rules(tenant: string): string {
    return `${this.prefix}:{${tenant}}:rules`
  }

  /** Every saved version of one rule, oldest first: list of stored rule JSON. */
  ruleVersions(tenant: string, id: string): string {
    return `${this.prefix}:{${tenant}}:rule-versions:${id}`
  }

  /** Counter bumped on every rule save, so evaluators reload only when rules changed. */
  rulesRevision(tenant: string): string {
    return `${this.prefix}:{${tenant}}:rules-rev`
  }

  /** Dedupe claims of one tenant for events whose timestamp falls in one minute. */
  dedupe(tenant: string, minuteStartMs: number): string {
    return `${this.prefix}:{${tenant}}:dd:${minuteStartMs}`
  }

  /** Lease of a shard: `owner|token`, with a PX expiry. */
  lease(stream: string, shard: string): string {
    return `${this.prefix}:lease:${stream}:${shard}`
  }

  /** Fencing counter of a shard: every new lease gets the next token. */
  leaseToken(stream: string, shard: string): string {
    return `${this.prefix}:lease-token:${stream}:${shard}`
  }

  /** The Redis sink's checkpoint of a shard (a position string, see positions.ts). */
  checkpoint(stream: string, shard: string): string {
    return `${this.prefix}:ckpt:${stream}:${shard}`
  }

  /** Set when a closed shard has been read to its end by both sinks. */
  shardDone(stream: string, shard: string): string {
    return `${this.prefix}:done:${stream}:${shard}`
  }

  /** Sorted set worker id → last heartbeat (ms), for rebalancing. */
  workers(stream: string): string {
    return `${this.prefix}:workers:${stream}`
  }

  /** Ingest totals of a stream (events, duplicates, dead letters, batches). */
  ingestStats(stream: string): string {
    return `${this.prefix}:stats:${stream}`
  }

  /** Consumer lag per shard of a stream: hash shard → `<millisBehindLatest>:<reported at ms>`. */
  consumerLag(stream: string): string {
    return `${this.prefix}:lag:${stream}`
  }

  /** One API key (hash: tenant, role, name, SHA-256 of the secret, times); the id is global. */
  apiKey(keyId: string): string {
    return `${this.prefix}:apikey:${keyId}`
  }

  /** Ids of a tenant's API keys, revoked ones included: set. */
  apiKeysOf(tenant: string): string {
    return `${this.prefix}:{${tenant}}:apikeys`
  }

  /** Prefix of the gateway's rate-limit counters (`<prefix>key:<id>`, `<prefix>ip:<ip>`), each with the window as TTL. */
  rateLimitPrefix(): string {
    return `${this.prefix}:rl:`
  }

  /** Claim that a dead letter was replayed (guards concurrent replays across gateways). */
  deadLetterReplay(tenant: string, deadLetterId: string): string {
    return `${this.prefix}:{${tenant}}:dl-replay:${deadLetterId}`
  }

  /** Prefix of the Socket.IO Redis adapter's pub/sub channels (channels, not keys). */
  socketIoChannel(): string {
    return `${this.prefix}:socket.io`
  }

  /** Latest detector scores of one entity: hash detector name → score (0–1), `at` → minute scored (ms). */
  detectorScores(tenant: string, level: Level, entity: string): string {
    return `${this.prefix}:{${tenant}}:dscore:${level}:${entity}`
  }

  /** Detector settings of a tenant: hash (`threshold`, `threshold:<detector>`). */
  detectorSettings(tenant: string): string {
    return `${this.prefix}:{${tenant}}:detector-settings`
  }

  /** Set of tenants whose detector models should be retrained now (`*` for all). */
  detectorRetrainRequests(): string {
    return `${this.prefix}:detector-retrain`
  }

  /** The detector runner's leader lease: `owner` with a PX expiry. */
  detectorLeader(): string {
    return `${this.prefix}:detector-leader`
  }
}

/** Field name of a metric in minute-bucket and day-total hashes. */
export const METRIC_FIELDS = ['i', 'c', 's', 'v', 'r'] as const
