import type { Redis } from 'ioredis'

/**
 * The Lua scripts of the Redis sink and the lease manager. Each runs atomically, so a
 * batch's counters and its checkpoint are written together or not at all.
 */

/**
 * Applies one folded batch. KEYS: lease, checkpoint, stats, then data keys.
 * ARGV: lease value, first position, last position, checkpoint TTL (s), events, duplicates,
 * dead letters, then ops `kind keyIndex ttl n field value …` (kind h = HINCRBY, s = HSET,
 * z = ZADD with the value as score, x = XADD with `ttl` as the approximate MAXLEN).
 */
const APPLY_BATCH = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('FENCED lease ' .. KEYS[1] .. ' is no longer held by ' .. ARGV[1])
end
local ck = redis.call('GET', KEYS[2])
if ck and ck >= ARGV[2] then
  return redis.error_reply('STALE checkpoint ' .. ck .. ' already covers ' .. ARGV[2])
end
local i = 8
local n_args = #ARGV
while i <= n_args do
  local kind = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  local ttl = tonumber(ARGV[i + 2])
  local n = tonumber(ARGV[i + 3])
  i = i + 4
  if kind == 'h' then
    for j = 0, n - 1 do redis.call('HINCRBY', key, ARGV[i + 2 * j], ARGV[i + 2 * j + 1]) end
  elseif kind == 's' then
    for j = 0, n - 1 do redis.call('HSET', key, ARGV[i + 2 * j], ARGV[i + 2 * j + 1]) end
  elseif kind == 'x' then
    local fields = {}
    for j = 0, 2 * n - 1 do fields[#fields + 1] = ARGV[i + j] end
    redis.call('XADD', key, 'MAXLEN', '~', ttl, '*', unpack(fields))
    ttl = 0
  else
    for j = 0, n - 1 do redis.call('ZADD', key, 'GT', ARGV[i + 2 * j + 1], ARGV[i + 2 * j]) end
  end
  i = i + 2 * n
  if ttl > 0 then redis.call('EXPIRE', key, ttl) end
end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
redis.call('HINCRBY', KEYS[3], 'events', ARGV[5])
redis.call('HINCRBY', KEYS[3], 'duplicates', ARGV[6])
redis.call('HINCRBY', KEYS[3], 'dead_letters', ARGV[7])
redis.call('HINCRBY', KEYS[3], 'batches', 1)
return 1
`

/**
 * Claims event ids for dedupe. KEYS: dedupe hashes. ARGV: TTL (s), then per key `n id claimer …`.
 * The first claimer of an id keeps it; returns, per pair in order, 1 when the id is held by
 * another claimer (a duplicate) and 0 when it is this claimer's (new, or the same record replayed).
 */
const CLAIM_IDS = `
local ttl = ARGV[1]
local out = {}
local i = 2
for k = 1, #KEYS do
  local key = KEYS[k]
  local n = tonumber(ARGV[i])
  i = i + 1
  for j = 0, n - 1 do
    local id = ARGV[i + 2 * j]
    local claimer = ARGV[i + 2 * j + 1]
    if redis.call('HSETNX', key, id, claimer) == 1 then
      out[#out + 1] = 0
    elseif redis.call('HGET', key, id) == claimer then
      out[#out + 1] = 0
    else
      out[#out + 1] = 1
    end
  end
  i = i + 2 * n
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ttl) end
end
return out
`

/** Takes a free lease: KEYS lease, token counter; ARGV owner, ttl ms. Returns the token or nil. */
const ACQUIRE_LEASE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 2592000)
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token
`

/** Extends a held lease: KEYS lease; ARGV value, ttl ms. Returns 1 if still held. */
const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`

/** Gives up a held lease: KEYS lease; ARGV value. */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

/**
 * Saves a rule as its next version atomically. KEYS: versions list, current hash, revision.
 * ARGV: rule id, rule JSON, author, saved-at ms. Returns the stored-rule JSON.
 */
const SAVE_RULE = `
local version = redis.call('LLEN', KEYS[1]) + 1
local stored = '{"rule":' .. ARGV[2] .. ',"version":' .. version .. ',"author":' .. cjson.encode(ARGV[3]) .. ',"savedAtMs":' .. ARGV[4] .. '}'
redis.call('RPUSH', KEYS[1], stored)
redis.call('HSET', KEYS[2], ARGV[1], stored)
redis.call('INCR', KEYS[3])
return stored
`

const SCRIPTS = {
  adwSaveRule: SAVE_RULE,
  adwApplyBatch: APPLY_BATCH,
  adwClaimIds: CLAIM_IDS,
  adwAcquireLease: ACQUIRE_LEASE,
  adwRenewLease: RENEW_LEASE,
  adwReleaseLease: RELEASE_LEASE,
} as const

/** Name of one of adwatch's scripts. */
export type ScriptName = keyof typeof SCRIPTS

const defined = new WeakSet<Redis>()

/** Runs a script by name (EVALSHA, loading it on NOSCRIPT), defining it on first use. */
export async function runScript(redis: Redis, name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  if (!defined.has(redis)) {
    for (const [n, lua] of Object.entries(SCRIPTS)) redis.defineCommand(n, { lua })
    defined.add(redis)
  }
  const fn = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]
  if (fn === undefined) throw new Error(`script ${name} is not defined`)
  // Arrays, not spread arguments: a batch can carry 100k+ arguments, past the call-stack
  // limit of a spread call; ioredis flattens one level of arrays.
  return fn.call(redis, keys.length, keys, args)
}
