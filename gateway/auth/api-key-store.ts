import type { Redis } from 'ioredis'
import { RedisKeys } from '../../stream/redis-keys.ts'
import { generateApiKey } from './api-key-format.ts'
import type { Role } from './principal.ts'

/** A stored API key (never the secret itself). */
export interface ApiKeyRecord {
  readonly id: string
  readonly tenant: string
  readonly role: Role
  readonly name: string
  readonly secretHash: string
  readonly createdAtMs: number
  readonly createdBy: string
  readonly lastUsedAtMs: number | undefined
  readonly revokedAtMs: number | undefined
}

/** Where API keys live; RedisApiKeyStore is the real one. */
export interface ApiKeyStore {
  /** Makes and stores a key; the full key text is returned here only. */
  create(input: { tenant: string; role: Role; name: string; createdBy: string; nowMs: number }): Promise<{ record: ApiKeyRecord; key: string }>
  /** A tenant's keys, revoked ones included, newest first. */
  list(tenant: string): Promise<ApiKeyRecord[]>
  /** One key by id, whatever its tenant (for authentication). */
  find(id: string): Promise<ApiKeyRecord | undefined>
  /** Revokes a key of the tenant; false when the tenant has no such key. */
  revoke(tenant: string, id: string, nowMs: number): Promise<boolean>
  /** Records that a key was used (callers throttle this). */
  touch(id: string, nowMs: number): Promise<void>
}

/** API keys in Redis: a hash per key and a set of ids per tenant (see docs/stores.md). */
export class RedisApiKeyStore implements ApiKeyStore {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string) {
    this.keys = new RedisKeys(keyPrefix)
  }

  async create(input: { tenant: string; role: Role; name: string; createdBy: string; nowMs: number }): Promise<{ record: ApiKeyRecord; key: string }> {
    const made = generateApiKey()
    const record: ApiKeyRecord = { id: made.id, tenant: input.tenant, role: input.role, name: input.name, secretHash: made.secretHash, createdAtMs: input.nowMs, createdBy: input.createdBy, lastUsedAtMs: undefined, revokedAtMs: undefined }
    await this.redis
      .multi()
      .hset(this.keys.apiKey(made.id), { tenant: record.tenant, role: record.role, name: record.name, hash: record.secretHash, created_at: record.createdAtMs, created_by: record.createdBy })
      .sadd(this.keys.apiKeysOf(input.tenant), made.id)
      .exec()
    return { record, key: made.key }
  }

  async list(tenant: string): Promise<ApiKeyRecord[]> {
    const ids = await this.redis.smembers(this.keys.apiKeysOf(tenant))
    if (ids.length === 0) return []
    const res = (await this.redis.pipeline(ids.map((id) => ['hgetall', this.keys.apiKey(id)])).exec()) ?? []
    return ids
      .map((id, i) => toRecord(id, res[i]?.[1] as Record<string, string> | null))
      .filter((r): r is ApiKeyRecord => r !== undefined && r.tenant === tenant)
      .sort((a, b) => b.createdAtMs - a.createdAtMs)
  }

  async find(id: string): Promise<ApiKeyRecord | undefined> {
    return toRecord(id, await this.redis.hgetall(this.keys.apiKey(id)))
  }

  async revoke(tenant: string, id: string, nowMs: number): Promise<boolean> {
    const found = await this.find(id)
    if (found === undefined || found.tenant !== tenant) return false
    if (found.revokedAtMs === undefined) await this.redis.hset(this.keys.apiKey(id), 'revoked_at', nowMs)
    return true
  }

  async touch(id: string, nowMs: number): Promise<void> {
    await this.redis.hset(this.keys.apiKey(id), 'last_used_at', nowMs)
  }
}

function toRecord(id: string, h: Record<string, string> | null | undefined): ApiKeyRecord | undefined {
  if (h === null || h === undefined || h.tenant === undefined || h.hash === undefined) return undefined
  return {
    id,
    tenant: h.tenant,
    role: h.role as Role,
    name: h.name ?? '',
    secretHash: h.hash,
    createdAtMs: Number(h.created_at ?? 0),
    createdBy: h.created_by ?? '',
    lastUsedAtMs: h.last_used_at === undefined ? undefined : Number(h.last_used_at),
    revokedAtMs: h.revoked_at === undefined ? undefined : Number(h.revoked_at),
  }
}
