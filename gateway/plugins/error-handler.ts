import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AdwatchError, type ErrorCode } from '../../core/errors.ts'
import type { ErrorBodyDto } from '../api-types.ts'
import { GatewayError } from '../errors.ts'

/** HTTP status of AdwatchErrors that other parts throw through the gateway. */
const STATUS_OF_CODE: Partial<Record<ErrorCode, number>> = {
  ADW_SETTINGS_INVALID: 400,
  ADW_STREAM_EVENT_INVALID: 400,
  ADW_STREAM_KINESIS: 503,
  ADW_STREAM_NOT_FOUND: 503,
  ADW_STREAM_REDIS: 503,
  ADW_STREAM_CLICKHOUSE: 503,
  ADW_DETECT_STORE: 503,
  ADW_BACKTEST_READ: 503,
}

/** Fastify's own client errors, as adwatch codes. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; field?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'ADW_GATEWAY_PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'ADW_GATEWAY_UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'ADW_GATEWAY_INVALID_REQUEST', field: 'headers/content-length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'ADW_GATEWAY_INVALID_REQUEST', field: 'body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'ADW_GATEWAY_INVALID_REQUEST', field: 'body' },
}

/** Errors of an unreachable store (ioredis, ClickHouse client, sockets) become 503, not 500. */
const UNAVAILABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|MaxRetriesPerRequest|socket hang up|Timeout error/i

/** The body of every error answer. */
export function errorBody(code: string, message: string, requestId: string, field?: string, problems?: ErrorBodyDto['error']['problems']): ErrorBodyDto {
  return { error: { code, message, requestId, ...(field === undefined ? {} : { field }), ...(problems === undefined ? {} : { problems }) } }
}

/**
 * One error answer for the whole gateway: `{ error: { code, message, field?, requestId } }`.
 * Schema failures name the field (`body/events/3/clicks`); unexpected errors are logged with
 * their stack and answered 500 with the request id only, so no stack trace reaches a client.
 */
const errorHandlerPlugin: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = classify(err, req.id)
    if (status >= 500) req.log.error({ err, code: body.error.code }, 'request failed')
    else req.log.info({ code: body.error.code, msg: body.error.message }, 'request rejected')
    return reply.code(status).send(body)
  })
  app.setNotFoundHandler((req, reply) => {
    return reply.code(404).send(errorBody('ADW_GATEWAY_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`, req.id))
  })
}

function classify(err: FastifyError, requestId: string): { status: number; body: ErrorBodyDto } {
  if (err.validation !== undefined && err.validation.length > 0) {
    const first = err.validation[0]!
    const params = first.params as { missingProperty?: string; additionalProperty?: string }
    const extra = params.missingProperty ?? params.additionalProperty
    const field = `${err.validationContext ?? 'body'}${first.instancePath}${extra === undefined ? '' : `/${extra}`}`
    const message = extra === undefined ? `${field} ${first.message ?? 'is invalid'}` : params.missingProperty !== undefined ? `${field} is required` : `${field} is not allowed`
    return { status: 400, body: errorBody('ADW_GATEWAY_INVALID_REQUEST', message, requestId, field) }
  }
  if (err instanceof GatewayError) return { status: err.statusCode, body: errorBody(err.code, err.message, requestId, err.field, err.problems) }
  if (err instanceof AdwatchError) {
    const status = STATUS_OF_CODE[err.code] ?? 500
    return { status, body: errorBody(status === 503 ? 'ADW_GATEWAY_UNAVAILABLE' : status === 400 ? 'ADW_GATEWAY_INVALID_REQUEST' : 'ADW_GATEWAY_INTERNAL', status === 500 ? internalMessage(requestId) : err.message, requestId) }
  }
  const known = err.code === undefined ? undefined : FASTIFY_CODES[err.code]
  if (known !== undefined) return { status: err.statusCode ?? 400, body: errorBody(known.code, err.message, requestId, known.field) }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, body: errorBody('ADW_GATEWAY_INVALID_REQUEST', err.message, requestId) }
  }
  if (UNAVAILABLE.test(`${err.name} ${err.message} ${err.code ?? ''}`)) {
    return { status: 503, body: errorBody('ADW_GATEWAY_UNAVAILABLE', 'a store the gateway needs is unavailable; retry later', requestId) }
  }
  return { status: 500, body: errorBody('ADW_GATEWAY_INTERNAL', internalMessage(requestId), requestId) }
}

function internalMessage(requestId: string): string {
  return `internal error; the gateway log has the details under request id ${requestId}`
}

/** Registers the error and not-found handlers on the root instance. */
export const errorHandler = fp(errorHandlerPlugin, { name: 'adwatch-errors' })
