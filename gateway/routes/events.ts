import type { FastifyPluginAsync } from 'fastify'
import { decodeEvent, EVENT_SCHEMA } from '../../stream/decode.ts'
import type { AdEventInput } from '../../stream/event.ts'
import { partitionKeyOf, PUT_RECORDS_MAX_BYTES, PUT_RECORDS_MAX_RECORDS, type RawRecord } from '../../stream/producer/put-records.ts'
import type { IngestResultDto } from '../api-types.ts'
import type { EventWriter } from '../deps.ts'
import type { GatewayMetrics } from '../metrics.ts'
import { principalOf } from '../plugins/auth.ts'
import { errorResponses } from './schemas.ts'

export interface EventRoutesOptions {
  readonly events: EventWriter
  readonly metrics: GatewayMetrics
  readonly now: () => number
  readonly maxLatenessMs: number
  readonly maxFutureMs: number
}

/** The event contract (stream/decode.ts) with `tenant` optional: the caller's tenant is used. */
export const INGEST_EVENT_SCHEMA = { ...EVENT_SCHEMA, required: EVENT_SCHEMA.required.filter((f) => f !== 'tenant') } as const

type IngestEvent = Omit<AdEventInput, 'tenant'> & { tenant?: string }

/**
 * `POST /events`: HTTP ingest for producers that cannot write to Kinesis. A batch of at most
 * 500 events and 5 MiB is checked against the event contract (a bad field fails the whole
 * batch with 400 naming it); each event is tagged with the caller's tenant (an event naming
 * another tenant is rejected) and checked as the consumer would (timestamp window), and the
 * accepted ones are written with PutRecords, retrying partial failures. Answers 202 with a
 * result per event. If Kinesis keeps failing: 503, and the whole batch may be sent again
 * (the consumer de-duplicates by `id`).
 */
export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (app, opts) => {
  app.post<{ Body: { events: IngestEvent[] } }>('/events', {
    config: { access: { role: 'editor' } },
    bodyLimit: PUT_RECORDS_MAX_BYTES,
    schema: {
      tags: ['ingest'],
      summary: 'Ingest a batch of ad events (≤ 500 events, ≤ 5 MiB)',
      body: {
        type: 'object',
        properties: { events: { type: 'array', minItems: 1, maxItems: PUT_RECORDS_MAX_RECORDS, items: INGEST_EVENT_SCHEMA } },
        required: ['events'],
        additionalProperties: false,
      },
      response: {
        202: {
          type: 'object',
          properties: {
            accepted: { type: 'integer' },
            rejected: { type: 'integer' },
            results: {
              type: 'array',
              items: {
                type: 'object',
                properties: { index: { type: 'integer' }, id: { type: 'string' }, status: { type: 'string', enum: ['accepted', 'rejected'] }, code: { type: 'string' }, reason: { type: 'string' } },
                required: ['index', 'id', 'status'],
              },
            },
          },
          required: ['accepted', 'rejected', 'results'],
        },
        ...errorResponses(413, 415),
      },
    },
    handler: async (req, reply) => {
      const tenant = principalOf(req).tenant
      const ctx = { nowMs: opts.now(), maxLatenessMs: opts.maxLatenessMs, maxFutureMs: opts.maxFutureMs, isKnownTenant: (t: string) => t === tenant }
      const records: RawRecord[] = []
      const results: Array<IngestResultDto['results'][number]> = req.body.events.map((e, index) => {
        if (e.tenant !== undefined && e.tenant !== tenant) {
          return { index, id: e.id, status: 'rejected', code: 'wrong_tenant', reason: `tenant must be left out or be "${tenant}", the credentials' tenant` }
        }
        const tagged = { ...e, tenant }
        const data = Buffer.from(JSON.stringify(tagged))
        const decoded = decodeEvent(data, ctx)
        if (decoded.kind === 'invalid') return { index, id: e.id, status: 'rejected', code: decoded.code, reason: decoded.reason }
        records.push({ data, partitionKey: partitionKeyOf(tagged) })
        return { index, id: e.id, status: 'accepted' }
      })
      if (records.length > 0) await opts.events.put(records)
      const rejected = results.length - records.length
      opts.metrics.ingestHttpEvents.inc({ result: 'accepted' }, records.length)
      if (rejected > 0) opts.metrics.ingestHttpEvents.inc({ result: 'rejected' }, rejected)
      const body: IngestResultDto = { accepted: records.length, rejected, results }
      return reply.code(202).send(body)
    },
  })
}
