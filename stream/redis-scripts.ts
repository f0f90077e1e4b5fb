import type { Redis } from 'ioredis'

/**
 * The Lua scripts of the Redis sink and the lease manager. Each runs atomically, so a
 * batch's counters and its checkpoint are written together or not at all.
 */

/**
 * Applies one folded worker batch of one or more shards. KEYS: stats, then per shard its
 * lease and checkpoint, then the data keys. ARGV: shard count S, checkpoint TTL (s), events,
 * duplicates, dead letters, change-feed MAXLEN; per shard `lease value, first position, last
 * position, expected checkpoint` (the one the writer believes is stored: '' for none, '*' not
 * checked); then four payloads. Three are JSON arrays decoded by cjson, naming a data key by
 * its index among the data keys (from 1): hash increments `[key, ttl, n, field, value, …]`
 * repeated (HINCRBY), entity metadata in the same layout (HSET), and active entities
 * `[key, ttl, score, n, member, …]` repeated (ZADD GT); a ttl of 0 leaves the key's expiry
 * alone. The fourth is the change feed: a count, then per tenant `key index, m, d` (the entry's
 * fields, written as given). Every lease is checked before anything is written: if any is not
 * current the script refuses with `FENCED i,j` (1-based shard numbers); if any checkpoint
 * already covers its shard's first position, with `STALE i,j`; if any is not the expected one
 * (Redis lost writes, or restored an older copy), with `MOVED i,j`. Otherwise everything is written
 * and every checkpoint moves, in one step. Needs Redis ≥ 7.0, which passes integral Lua
 * numbers to commands as integers (HINCRBY would refuse 5e+15). The `#!lua` line (also
 * Redis ≥ 7.0) makes Redis refuse the whole script up front when it is out of memory, rather
 * than failing one of its writes part-way: a batch left half-written would be written again,
 * in part twice, by its retry.
 */
const APPLY_BATCH = `#!lua
local S = tonumber(ARGV[1])
local fenced = {}
for s = 1, S do
  if redis.call('GET', KEYS[2 * s]) ~= ARGV[3 + 4 * s] then fenced[#fenced + 1] = s end
end
if #fenced > 0 then return redis.error_reply('FENCED ' .. table.concat(fenced, ',')) end
local stale = {}
local moved = {}
for s = 1, S do
  local ck = redis.call('GET', KEYS[2 * s + 1])
  local expected = ARGV[6 + 4 * s]
  if ck and ck >= ARGV[4 + 4 * s] then
    stale[#stale + 1] = s
  elseif expected ~= '*' and (ck or '') ~= expected then
    moved[#moved + 1] = s
  end
end
if #stale > 0 then return redis.error_reply('STALE ' .. table.concat(stale, ',')) end
if #moved > 0 then return redis.error_reply('MOVED ' .. table.concat(moved, ',')) end
local d = 2 * S + 1
local o = 7 + 4 * S
local h = cjson.decode(ARGV[o])
local nh = #h
local i = 1
while i <= nh do
  local key = KEYS[d + h[i]]
  local ttl = h[i + 1]
  local last = i + 2 + 2 * h[i + 2]
  for j = i + 3, last, 2 do redis.call('HINCRBY', key, h[j], h[j + 1]) end
  if ttl > 0 then redis.call('EXPIRE', key, ttl) end
  i = last + 1
end
local m = cjson.decode(ARGV[o + 1])
local nm = #m
i = 1
while i <= nm do
  local key = KEYS[d + m[i]]
  local ttl = m[i + 1]
  local first = i + 3
  local last = i + 2 + 2 * m[i + 2]
  redis.call('HSET', key, unpack(m, first, last))
  if ttl > 0 then redis.call('EXPIRE', key, ttl) end
  i = last + 1
end
local z = cjson.decode(ARGV[o + 2])
local nz = #z
i = 1
while i <= nz do
  local key = KEYS[d + z[i]]
  local ttl = z[i + 1]
  local score = z[i + 2]
  local n = z[i + 3]
  local args = {}
  for j = 1, n do
    args[#args + 1] = score
    args[#args + 1] = z[i + 3 + j]
    if #args >= 6000 then
      redis.call('ZADD', key, 'GT', unpack(args))
      args = {}
    end
  end
  if #args > 0 then redis.call('ZADD', key, 'GT', unpack(args)) end
  if ttl > 0 then redis.call('EXPIRE', key, ttl) end
  i = i + 4 + n
end
local f = o + 3
for k = 1, tonumber(ARGV[f]) do
  local at = f + 3 * (k - 1)
  redis.call('XADD', KEYS[d + tonumber(ARGV[at + 1])], 'MAXLEN', '~', ARGV[6], '*', 'm', ARGV[at + 2], 'd', ARGV[at + 3])
end
for s = 1, S do
  redis.call('SET', KEYS[2 * s + 1], ARGV[5 + 4 * s], 'EX', ARGV[2])
end
redis.call('HINCRBY', KEYS[1], 'events', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'duplicates', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'dead_letters', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'batches', 1)
return 1
`

/**
 * Claims event ids for dedupe. KEYS: dedupe hashes. ARGV: TTL (s), then per key two JSON
 * arrays: the ids and their claimers. The first claimer of an id keeps it (within this call
 * too: a later record with an id claimed earlier in the call is a duplicate). Returns one
 * character per id, in order: '1' when another claimer holds the id (a duplicate), '0' when
 * it is this claimer's (new, or the same record replayed). Ids are read and written in
 * chunks (HMGET, HSET) rather than one command each. Refused up front when Redis is out of
 * memory (`#!lua`, as APPLY_BATCH).
 */
const CLAIM_IDS = `#!lua
local ttl = ARGV[1]
local flags = {}
local CHUNK = 3000
for k = 1, #KEYS do
  local key = KEYS[k]
  local ids = cjson.decode(ARGV[2 * k])
  local claimers = cjson.decode(ARGV[2 * k + 1])
  local n = #ids
  local pending = {}
  local set = {}
  for c = 1, n, CHUNK do
    local e = math.min(n, c + CHUNK - 1)
    local held = redis.call('HMGET', key, unpack(ids, c, e))
    for j = c, e do
      local id = ids[j]
      local claimer = claimers[j]
      local have = held[j - c + 1] or pending[id]
      if not have then
        pending[id] = claimer
        set[#set + 1] = id
        set[#set + 1] = claimer
        flags[#flags + 1] = '0'
      elseif have == claimer then
        flags[#flags + 1] = '0'
      else
        flags[#flags + 1] = '1'
      end
    end
  end
  for c = 1, #set, 2 * CHUNK do
    redis.call('HSET', key, unpack(set, c, math.min(#set, c + 2 * CHUNK - 1)))
  end
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ttl) end
end
return table.concat(flags)
`

/** Takes a free lease: KEYS lease, token counter; ARGV owner, ttl ms, token counter ttl (s). Returns the token or nil. */
const ACQUIRE_LEASE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
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

/** Extends many leases at once: KEYS lease keys; ARGV ttl ms, then each key's value. Returns 1/0 per key. */
const RENEW_LEASES = `
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
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
if ARGV[5] == '1' and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return false end
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
  adwRenewLeases: RENEW_LEASES,
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
