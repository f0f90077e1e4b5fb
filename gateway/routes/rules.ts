import type { FastifyPluginAsync } from 'fastify'
import { RuleExistsError, RuleInvalidError, RuleNotFoundError } from '../../rules/errors.ts'
import type { StoredRule } from '../../rules/rule-model.ts'
import { validateRule } from '../../rules/validate-rule.ts'
import type { PageDto, StoredRuleDto, ValidationDto } from '../api-types.ts'
import type { RuleStore } from '../deps.ts'
import { ConflictError, NotFoundError, RuleRejectedError } from '../errors.ts'
import { principalOf } from '../plugins/auth.ts'
import type { RuleChangePush } from '../socket-events.ts'
import { ruleBodySchema, ruleIdSchema, storedRuleDto, storedRuleSchema, validationSchema } from './rule-schemas.ts'
import { errorResponses, pageSchema } from './schemas.ts'

export interface RuleRoutesOptions {
  readonly rules: RuleStore
  readonly now: () => number
  /** Called after a save, restore or delete (the tenant's sockets get `rule:changed`). */
  readonly onRuleChanged: (tenant: string, change: RuleChangePush) => void
}

const viewer = { access: { role: 'viewer' } } as const
const editor = { access: { role: 'editor' } } as const
const idParams = { type: 'object', properties: { id: ruleIdSchema }, required: ['id'] } as const
const listQuery = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 1000 }, offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 } },
  additionalProperties: false,
} as const
type Paging = { limit: number; offset: number }
type Rule = Record<string, unknown>

/**
 * The tenant's alert rules (rules/rule-store.ts): list, read, create, save a new version,
 * delete (versions stay restorable), validate, versions and restore. Every save is validated
 * by rules/validate-rule.ts; an invalid rule answers 400 ADW_RULE_INVALID with `field` the
 * first problem's JSON path and `problems` all of them. Editors write, viewers read.
 */
export const ruleRoutes: FastifyPluginAsync<RuleRoutesOptions> = async (app, opts) => {
  const saved = (tenant: string, s: StoredRule): StoredRuleDto => {
    opts.onRuleChanged(tenant, { kind: 'saved', ruleId: s.rule.id, version: s.version, author: s.author, atMs: s.savedAtMs })
    return storedRuleDto(s)
  }

  app.get<{ Querystring: Paging }>('/rules', {
    config: viewer,
    schema: { tags: ['rules'], summary: 'The current version of every rule, by id', querystring: listQuery, response: { 200: pageSchema(storedRuleSchema), ...errorResponses() } },
    handler: async (req): Promise<PageDto<StoredRuleDto>> => {
      const all = await opts.rules.list(principalOf(req).tenant)
      return page(all.map(storedRuleDto), req.query)
    },
  })

  app.get<{ Params: { id: string } }>('/rules/:id', {
    config: viewer,
    schema: { tags: ['rules'], summary: 'The current version of a rule', params: idParams, response: { 200: storedRuleSchema, ...errorResponses(404) } },
    handler: async (req) => storedRuleDto(await found(() => opts.rules.get(principalOf(req).tenant, req.params.id), req.params.id)),
  })

  app.post<{ Body: Rule }>('/rules', {
    config: editor,
    schema: { tags: ['rules'], summary: 'Create a rule (version 1; 409 if the id is in use)', body: ruleBodySchema, response: { 201: storedRuleSchema, ...errorResponses(409) } },
    handler: async (req, reply) => {
      const p = principalOf(req)
      const problems = validateRule(req.body)
      if (problems.length > 0) throw new RuleRejectedError(problems)
      const id = req.body.id as string
      try {
        return reply.code(201).send(saved(p.tenant, await valid(() => opts.rules.save(p.tenant, req.body, p.subject, { onlyIfNew: true }))))
      } catch (err) {
        if (err instanceof RuleExistsError) throw new ConflictError(`rule "${id}" exists; save a new version with PUT /api/v1/rules/${id}`)
        throw err
      }
    },
  })

  app.put<{ Params: { id: string }; Body: Rule }>('/rules/:id', {
    config: editor,
    schema: { tags: ['rules'], summary: 'Save a rule as its next version (creates it when new)', params: idParams, body: ruleBodySchema, response: { 200: storedRuleSchema, ...errorResponses() } },
    handler: async (req) => {
      const p = principalOf(req)
      if (req.body.id !== undefined && req.body.id !== req.params.id) {
        throw new RuleRejectedError([{ path: '$.id', message: `must be the id in the URL ("${req.params.id}"); to rename a rule, create the new id and delete the old` }])
      }
      return saved(p.tenant, await valid(() => opts.rules.save(p.tenant, { ...req.body, id: req.params.id }, p.subject)))
    },
  })

  app.delete<{ Params: { id: string } }>('/rules/:id', {
    config: editor,
    schema: { tags: ['rules'], summary: 'Delete a rule (it stops being evaluated; its versions stay restorable)', params: idParams, response: { 204: { type: 'null' }, ...errorResponses(404) } },
    handler: async (req, reply) => {
      const p = principalOf(req)
      const current = await found(() => opts.rules.get(p.tenant, req.params.id), req.params.id)
      await found(() => opts.rules.remove(p.tenant, req.params.id), req.params.id)
      opts.onRuleChanged(p.tenant, { kind: 'deleted', ruleId: req.params.id, version: current.version, author: p.subject, atMs: opts.now() })
      return reply.code(204).send()
    },
  })

  app.post<{ Body: Rule }>('/rules/validate', {
    config: viewer,
    schema: { tags: ['rules'], summary: 'Validate a rule without saving it: every problem at its JSON path', body: ruleBodySchema, response: { 200: validationSchema, ...errorResponses() } },
    handler: async (req): Promise<ValidationDto> => {
      const problems = validateRule(req.body)
      return { ok: problems.length === 0, problems }
    },
  })

  app.get<{ Params: { id: string }; Querystring: Paging }>('/rules/:id/versions', {
    config: viewer,
    schema: { tags: ['rules'], summary: 'Every version of a rule, newest first (deleted rules too)', params: idParams, querystring: listQuery, response: { 200: pageSchema(storedRuleSchema), ...errorResponses(404) } },
    handler: async (req): Promise<PageDto<StoredRuleDto>> => {
      const all = await found(() => opts.rules.versions(principalOf(req).tenant, req.params.id), req.params.id)
      return page(all.map(storedRuleDto).reverse(), req.query)
    },
  })

  app.post<{ Params: { id: string; version: number } }>('/rules/:id/versions/:version/restore', {
    config: editor,
    schema: {
      tags: ['rules'],
      summary: 'Save an old version\'s content as the newest version (undeletes a deleted rule)',
      params: { type: 'object', properties: { id: ruleIdSchema, version: { type: 'integer', minimum: 1 } }, required: ['id', 'version'] },
      response: { 200: storedRuleSchema, ...errorResponses(404) },
    },
    handler: async (req) => {
      const p = principalOf(req)
      const restored = await found(() => valid(() => opts.rules.restore(p.tenant, req.params.id, req.params.version, p.subject)), `${req.params.id} version ${req.params.version}`)
      return saved(p.tenant, restored)
    },
  })
}

function page<T>(all: readonly T[], q: Paging): PageDto<T> {
  return { items: all.slice(q.offset, q.offset + q.limit), total: all.length, limit: q.limit, offset: q.offset }
}

/** Runs a store call; a rule the tenant does not have is 404, as another tenant's is. */
async function found<T>(fn: () => Promise<T>, what: string): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof RuleNotFoundError) throw new NotFoundError(`rule ${what}`)
    throw err
  }
}

/** Runs a save; a rule that fails validation is 400 with its problems. */
async function valid<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof RuleInvalidError) throw new RuleRejectedError(err.problems)
    throw err
  }
}
