import http from 'node:http'
import https from 'node:https'
import { KinesisClient } from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import type { KinesisConfig } from './config.ts'

/**
 * Builds the Kinesis client. A local endpoint (kinesalite) gets dummy credentials and an
 * HTTP/1.1 handler: the v3 SDK's default HTTP/2 fails against kinesalite (ERR_HTTP2_ERROR).
 * The SDK's logger middleware is removed (see below).
 */
export function createKinesisClient(cfg: KinesisConfig): KinesisClient {
  const requestHandler = new NodeHttpHandler({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
    requestTimeout: 30_000,
    connectionTimeout: 5_000,
  })
  const client = new KinesisClient({
    region: cfg.region,
    requestHandler,
    // The consumer and producer have their own backoff; SDK retries would hide throttling.
    maxAttempts: 1,
    ...(cfg.endpoint === undefined
      ? {}
      : { endpoint: cfg.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  })
  // adwatch never gives the SDK a logger, yet its logger middleware calls the default no-op
  // logger with a copy of every output filtered for sensitive fields: for a GetRecords page
  // of 5,000 records that copy was ~4 % of the worker's busy time in the drain benchmark.
  client.middlewareStack.remove('loggerMiddleware')
  return client
}
