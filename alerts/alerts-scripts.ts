import type { Redis } from 'ioredis'

/**
 * The Lua scripts of the alerts process. Each runs atomically on the tenant's keys (which
 * share the `{tenant}` hash tag, so they live on one Redis Cluster slot).
 */

/**
 * Commits one tick of a tenant, fenced by its lease. KEYS: lease, alerts, groups, acks,
 * outbox, event log, commit count. ARGV: lease value, event consumer group, the commit count
 * the tick follows, then ops: `AS fp json` / `AD fp` (live alerts), `GS key json` / `GD key`
 * (groups), `KD fp` (drop an acknowledgement), `X json` (append a notification to the outbox),
 * `E id` (acknowledge an event-log entry). Returns the outbox ids in order. The count makes a
 * commit sent twice (a reply lost and the command sent again, by the client or by a retry)
 * apply once: the second finds the count one past what it follows and answers `DONE`,
 * writing nothing; any other count means another writer, `FENCED`.
 */
const COMMIT_TICK = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('FENCED alerts lease ' .. KEYS[1] .. ' is no longer held by ' .. ARGV[1])
end
local count = tonumber(redis.call('GET', KEYS[7]) or '0')
local follows = tonumber(ARGV[3])
if count == follows + 1 then return redis.error_reply('DONE commit ' .. ARGV[3] .. ' was applied already') end
if count ~= follows then
  return redis.error_reply('FENCED alerts commit count ' .. count .. ', this process expected ' .. follows)
end
redis.call('SET', KEYS[7], follows + 1)
local ids = {}
local i = 4
local n = #ARGV
while i <= n do
  local op = ARGV[i]
  if op == 'AS' then
    redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[i + 2]); i = i + 3
  elseif op == 'AD' then
    redis.call('HDEL', KEYS[2], ARGV[i + 1]); i = i + 2
  elseif op == 'GS' then
    redis.call('HSET', KEYS[3], ARGV[i + 1], ARGV[i + 2]); i = i + 3
  elseif op == 'GD' then
    redis.call('HDEL', KEYS[3], ARGV[i + 1]); i = i + 2
  elseif op == 'KD' then
    redis.call('HDEL', KEYS[4], ARGV[i + 1]); i = i + 2
  elseif op == 'X' then
    ids[#ids + 1] = redis.call('XADD', KEYS[5], '*', 'n', ARGV[i + 1]); i = i + 2
  elseif op == 'E' then
    redis.call('XACK', KEYS[6], ARGV[2], ARGV[i + 1]); i = i + 2
  else
    return redis.error_reply('BADOP ' .. tostring(op))
  end
end
return ids
`

/**
 * Takes a tenant's lease if it is free or already this owner's (a restarted process with a
 * fixed id takes its tenants back at once). KEYS: lease, token counter. ARGV: owner, TTL ms.
 * Returns the new fencing token, or nil when another owner holds it.
 */
const ACQUIRE_LEASE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local owner = string.match(cur, '^(.*)|%d+$')
  if owner ~= ARGV[1] then return nil end
end
local token = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 2592000000)
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token
`

/** Extends a lease still held with this value. KEYS: lease. ARGV: value, TTL ms. 1 or 0. */
const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`

/** Gives a lease up if still held with this value. KEYS: lease. ARGV: value. */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

const SCRIPTS = {
  adwAlertsCommitTick: COMMIT_TICK,
  adwAlertsAcquireLease: ACQUIRE_LEASE,
  adwAlertsRenewLease: RENEW_LEASE,
  adwAlertsReleaseLease: RELEASE_LEASE,
} as const

/** Name of one of the alerts scripts. */
export type AlertsScriptName = keyof typeof SCRIPTS

const defined = new WeakSet<Redis>()

/** Runs a script by name (EVALSHA, loading it on NOSCRIPT), defining it on first use. */
export async function runAlertsScript(redis: Redis, name: AlertsScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  if (!defined.has(redis)) {
    for (const [n, lua] of Object.entries(SCRIPTS)) redis.defineCommand(n, { lua })
    defined.add(redis)
  }
  const fn = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]
  if (fn === undefined) throw new Error(`script ${name} is not defined`)
  // Arrays, not spread arguments: a tick can carry many arguments; ioredis flattens one level.
  return fn.call(redis, keys.length, keys, args)
}
