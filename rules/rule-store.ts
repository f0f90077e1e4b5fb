import type { Redis } from 'ioredis'
import { RedisKeys } from '../stream/redis-keys.ts'
import { runScript } from '../stream/redis-scripts.ts'
import { RuleExistsError, RuleInvalidError, RuleNotFoundError } from './errors.ts'
import type { Rule, StoredRule } from './rule-model.ts'
import { validateRule } from './validate-rule.ts'

/**
 * Rules per tenant in Redis. Every save validates the rule and writes a new version (author,
 * time); versions are kept in a list and can be read and restored (a restore is a new version
 * with the old content). A revision counter lets evaluators reload only after a change.
 */
export class RedisRuleStore {
  private readonly keys: RedisKeys

  constructor(private readonly redis: Redis, keyPrefix: string, private readonly now: () => number) {
    this.keys = new RedisKeys(keyPrefix)
  }

  /**
   * Validates and saves a rule as a new version; throws RuleInvalidError with every problem.
   * With `onlyIfNew`, throws RuleExistsError instead when the tenant has a current rule of that
   * id (checked in the same script as the write, so two creates cannot both succeed).
   */
  async save(tenant: string, input: unknown, author: string, opts: { onlyIfNew?: boolean } = {}): Promise<StoredRule> {
    const problems = validateRule(input)
    if (problems.length > 0) throw new RuleInvalidError(problems)
    const rule = input as Rule
    // One script: two concurrent saves can never both become version n.
    const json = await runScript(
      this.redis,
      'adwSaveRule',
      [this.keys.ruleVersions(tenant, rule.id), this.keys.rules(tenant), this.keys.rulesRevision(tenant)],
      [rule.id, JSON.stringify(rule), author, this.now(), opts.onlyIfNew === true ? '1' : '0'],
    )
    if (json === null) throw new RuleExistsError(tenant, rule.id)
    return JSON.parse(json as string) as StoredRule
  }

  /** The current version of every rule of a tenant. */
  async list(tenant: string): Promise<StoredRule[]> {
    const raw = await this.redis.hvals(this.keys.rules(tenant))
    return raw.map((j) => JSON.parse(j) as StoredRule).sort((a, b) => a.rule.id.localeCompare(b.rule.id))
  }

  /** The current version of one rule. */
  async get(tenant: string, id: string): Promise<StoredRule> {
    const raw = await this.redis.hget(this.keys.rules(tenant), id)
    if (raw === null) throw new RuleNotFoundError(tenant, id)
    return JSON.parse(raw) as StoredRule
  }

  /** Every version of a rule, oldest first. */
  async versions(tenant: string, id: string): Promise<StoredRule[]> {
    const raw = await this.redis.lrange(this.keys.ruleVersions(tenant, id), 0, -1)
    if (raw.length === 0) throw new RuleNotFoundError(tenant, id)
    return raw.map((j) => JSON.parse(j) as StoredRule)
  }

  /** Saves an old version's content as the newest version. */
  async restore(tenant: string, id: string, version: number, author: string): Promise<StoredRule> {
    const raw = await this.redis.lindex(this.keys.ruleVersions(tenant, id), version - 1)
    if (raw === null) throw new RuleNotFoundError(tenant, id, version)
    return this.save(tenant, (JSON.parse(raw) as StoredRule).rule, author)
  }

  /** Removes a rule from the current set (its versions stay readable and restorable). */
  async remove(tenant: string, id: string): Promise<void> {
    const n = await this.redis.multi().hdel(this.keys.rules(tenant), id).incr(this.keys.rulesRevision(tenant)).exec()
    if (n?.[0]?.[1] === 0) throw new RuleNotFoundError(tenant, id)
  }

  /** The tenant's rules revision: changes whenever a rule is saved, restored or removed. */
  async revision(tenant: string): Promise<number> {
    return Number((await this.redis.get(this.keys.rulesRevision(tenant))) ?? 0)
  }
}
