import http from 'node:http'
import https from 'node:https'
import { KinesisClient } from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import type { KinesisConfig } from './config.ts'

/**
 * Builds the Kinesis client. A local endpoint (kinesalite) gets dummy credentials and an
 * HTTP/1.1 handler: the v3 SDK's default HTTP/2 fails against kinesalite (ERR_HTTP2_ERROR).
 */
export function createKinesisClient(cfg: KinesisConfig): KinesisClient {
  const requestHandler = new NodeHttpHandler({
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
    requestTimeout: 30_000,
    connectionTimeout: 5_000,
  })
  return new KinesisClient({
    region: cfg.region,
    requestHandler,
    // The consumer and producer have their own backoff; SDK retries would hide throttling.
    maxAttempts: 1,
    ...(cfg.endpoint === undefined
      ? {}
      : { endpoint: cfg.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  })
}
