import http, { type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request a local receiver got, with what it answered. */
export interface ReceivedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly json: unknown
  readonly atMs: number
  readonly status: number
}

/** What to answer a request. */
export interface Answer {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/** Decides the answer of each request (after it was read in full). */
export type Responder = (req: Omit<ReceivedRequest, 'status'>) => Answer

/** Answers 200 `{"ok":true}` (Slack answers "ok", PagerDuty 202; adwatch accepts any 2xx). */
export const acceptAll: Responder = () => ({ status: 200, body: '{"ok":true}' })

/**
 * A local stand-in for Slack, PagerDuty or a webhook endpoint: a node:http server on
 * 127.0.0.1 and a free port that records every request and answers through a responder
 * the test can change (outages, throttling).
 */
export class LocalReceiver {
  readonly requests: ReceivedRequest[] = []
  private responder: Responder

  private constructor(private readonly server: http.Server, readonly url: string, responder: Responder) {
    this.responder = responder
  }

  static async start(responder: Responder = acceptAll): Promise<LocalReceiver> {
    let self: LocalReceiver | undefined
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = JSON.parse(body)
        } catch {
          json = undefined
        }
        const seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json, atMs: Date.now() }
        const answer = (self as LocalReceiver).responder(seen)
        ;(self as LocalReceiver).requests.push({ ...seen, status: answer.status })
        res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) })
        res.end(answer.body ?? '')
      })
    })
    server.keepAliveTimeout = 30_000
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    self = new LocalReceiver(server, `http://127.0.0.1:${port}`, responder)
    return self
  }

  /** Requests answered with 2xx, in arrival order. */
  accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300)
  }

  setResponder(r: Responder): void {
    this.responder = r
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** Answers `status` (with Retry-After when given) until `untilMs`, then as `after`. */
export function failUntil(untilMs: number, status: number, retryAfterSec?: number, after: Responder = acceptAll): Responder {
  return (req) => {
    if (Date.now() < untilMs) return { status, headers: retryAfterSec === undefined ? {} : { 'retry-after': String(retryAfterSec) }, body: '{"error":"unavailable"}' }
    return after(req)
  }
}
