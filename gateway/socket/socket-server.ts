import type { Server as HttpServer } from 'node:http'
import { isIP } from 'node:net'
import { createAdapter } from '@socket.io/redis-adapter'
import { Server, type Socket } from 'socket.io'
import type { Logger } from '../../core/log.ts'
import { LEVELS, type Level } from '../../stream/event.ts'
import { RedisKeys } from '../../stream/redis-keys.ts'
import type { Authenticator } from '../auth/authenticator.ts'
import { hasRole } from '../auth/principal.ts'
import type { AdapterClients, EntityCatalog, LiveFeed } from '../deps.ts'
import { GatewayError } from '../errors.ts'
import type { GatewayMetrics } from '../metrics.ts'
import type { AckError, ClientToServerEvents, EntityRef, InterServerEvents, ServerToClientEvents, SocketData } from '../socket-events.ts'
import { HandshakeLimiter } from './handshake-limiter.ts'
import { entityRoom, tenantRoom } from './rooms.ts'
import { WindowPusher } from './window-pusher.ts'

/** The gateway's typed Socket.IO server. */
export type AdwatchServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>
type AdwatchSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>

/** What the Socket.IO side of a gateway needs. */
export interface SocketServerOptions {
  readonly httpServer: HttpServer
  readonly authenticator: Authenticator
  readonly entities: EntityCatalog
  readonly live: LiveFeed
  readonly metrics: GatewayMetrics
  readonly now: () => number
  readonly log: Logger
  readonly corsOrigins: readonly string[]
  readonly pushIntervalMs: number
  readonly maxSubscriptions: number
  readonly keyPrefix: string
  /** The REST rate limits, applied to handshakes too (see HandshakeLimiter). */
  readonly rateLimit: { readonly windowMs: number; readonly perKey: number; readonly perIp: number }
  /** Take the client IP from X-Forwarded-For, as Fastify does with `trustProxy`. */
  readonly trustProxy: boolean
  readonly adapter?: AdapterClients
}

/** The attached Socket.IO server and its window pusher. */
export interface SocketSide {
  readonly io: AdwatchServer
  readonly pusher: WindowPusher
}

/** Client messages are small (a list of entities): larger ones close the connection. */
const MAX_MESSAGE_BYTES = 256 * 1024
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Attaches Socket.IO to the gateway's HTTP server. The handshake authenticates like REST
 * (`auth: { token }`, or an Authorization / X-API-Key header); a socket joins its tenant's
 * room and, on `subscribe`, entity rooms of its tenant only. A JWT socket is disconnected when
 * its token expires, an API-key socket when its key is revoked on any gateway. With the Redis
 * adapter, emits to a room reach its sockets on every gateway.
 */
export function attachSocketServer(opts: SocketServerOptions): SocketSide {
  const allowed = new Set(opts.corsOrigins)
  const io: AdwatchServer = new Server(opts.httpServer, {
    serveClient: false,
    maxHttpBufferSize: MAX_MESSAGE_BYTES,
    cors: { origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)), credentials: false },
  })
  if (opts.adapter !== undefined) io.adapter(createAdapter(opts.adapter.pub, opts.adapter.sub, { key: new RedisKeys(opts.keyPrefix).socketIoChannel() }))
  const pusher = new WindowPusher(io, opts.live, opts.entities, opts.metrics, opts.pushIntervalMs, opts.now, opts.log)

  // Handshakes are limited like REST calls (see docs/gateway.md): per client IP while they fail,
  // per credential once they pass. Two limiters, so a flood of IPs filling one cannot lift the
  // other's limits.
  const byIp = new HandshakeLimiter(opts.rateLimit.windowMs, opts.now)
  const byCredential = new HandshakeLimiter(opts.rateLimit.windowMs, opts.now)
  const windowSec = Math.round(opts.rateLimit.windowMs / 1000)
  const refuse = (next: (err?: Error) => void, code: string, message: string, extra: { retryAfterSec?: number } = {}) => next(Object.assign(new Error(message), { data: { code, ...extra } }))
  io.use((socket, next) => {
    // Counted before the credential is checked (and given back if it passes), so handshakes sent
    // at once cannot each cost a check past the IP's budget; once that is spent, the IP's
    // handshakes are refused unchecked until the window ends.
    const ip = clientIp(socket, opts.trustProxy)
    if (!byIp.take(ip, opts.rateLimit.perIp)) {
      const retryAfterSec = byIp.retryAfterSec()
      return refuse(next, 'ADW_GATEWAY_RATE_LIMITED', `too many failed socket handshakes from this IP (at most ${opts.rateLimit.perIp} per ${windowSec} s); retry in ${retryAfterSec} s`, { retryAfterSec })
    }
    opts.authenticator.authenticate(handshakeCredential(socket)).then(
      (principal) => {
        byIp.giveBack(ip)
        if (!byCredential.take(`${principal.tenant}:${principal.subject}`, opts.rateLimit.perKey)) {
          const retryAfterSec = byCredential.retryAfterSec()
          return refuse(next, 'ADW_GATEWAY_RATE_LIMITED', `rate limit of ${opts.rateLimit.perKey} socket handshakes per ${windowSec} s for this credential reached; retry in ${retryAfterSec} s`, { retryAfterSec })
        }
        socket.data.principal = principal
        next()
      },
      (err: unknown) => {
        if (err instanceof GatewayError) return refuse(next, err.code, err.message)
        byIp.giveBack(ip) // the key store failed, not the client
        refuse(next, 'ADW_GATEWAY_UNAVAILABLE', 'the API key store is unavailable; retry later')
      },
    )
  })

  io.on('connection', (socket) => {
    const p = socket.data.principal
    void socket.join(tenantRoom(p.tenant))
    opts.metrics.socketConnections.inc()
    let expiry: NodeJS.Timeout | undefined
    if (p.kind === 'jwt' && p.expiresAtMs !== undefined) expiry = setTimeout(() => socket.disconnect(true), Math.min(MAX_TIMER_MS, Math.max(0, p.expiresAtMs - opts.now())))
    socket.on('disconnect', () => {
      clearTimeout(expiry)
      opts.metrics.socketConnections.dec()
    })
    socket.on('subscribe', (request, ack) => void handle(socket, ack, async () => {
      const entities = checkEntities(request, opts.maxSubscriptions)
      const mine = [...socket.rooms].filter((r) => r.startsWith('e\u0000')).length
      const rooms = entities.map((e) => pusher.watch(p.tenant, e.level, e.id))
      const added = rooms.filter((r) => !socket.rooms.has(r)).length
      if (mine + added > opts.maxSubscriptions) throw new GatewayError('ADW_GATEWAY_INVALID_REQUEST', 400, `entities: at most ${opts.maxSubscriptions} subscriptions per socket`)
      await socket.join(rooms)
      const current = []
      for (const level of LEVELS) {
        const ids = entities.filter((e) => e.level === level).map((e) => e.id)
        if (ids.length > 0) current.push(...(await pusher.current(p.tenant, level, ids)))
      }
      return { ok: true as const, current }
    }))
    socket.on('unsubscribe', (request, ack) => void handle(socket, ack, async () => {
      for (const e of checkEntities(request, opts.maxSubscriptions)) await socket.leave(entityRoom(p.tenant, e.level, e.id))
      return { ok: true as const }
    }))
  })

  io.on('apiKeyRevoked', (keyId) => dropKey(io, opts.authenticator, keyId))
  io.on('settingsChanged', (tenant) => opts.entities.forgetSettings(tenant))
  return { io, pusher }
}

/** Forgets a revoked key on this gateway and closes its sockets here. */
export function dropKey(io: AdwatchServer, authenticator: Authenticator, keyId: string): void {
  authenticator.forget(keyId)
  for (const socket of io.of('/').sockets.values()) {
    const p = socket.data.principal
    if (p?.kind === 'api-key' && p.keyId === keyId) socket.disconnect(true)
  }
}

/**
 * The client's IP: behind a trusted proxy the first X-Forwarded-For entry, as Fastify takes it
 * for REST, if it is an IP address (anything else would let a client name any bucket, of any
 * length); else the peer's address.
 */
function clientIp(socket: AdwatchSocket, trustProxy: boolean): string {
  const forwarded = socket.handshake.headers['x-forwarded-for']
  if (trustProxy && typeof forwarded === 'string') {
    const first = forwarded.split(',', 1)[0]!.trim()
    if (isIP(first) !== 0) return first
  }
  return socket.handshake.address
}

/** The handshake's credential: `auth.token`, else the Authorization or X-API-Key header. */
function handshakeCredential(socket: AdwatchSocket): string | undefined {
  const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token
  if (typeof token === 'string') return token.replace(/^Bearer\s+/i, '')
  const auth = socket.handshake.headers.authorization
  if (typeof auth === 'string') return auth.replace(/^Bearer\s+/i, '')
  const key = socket.handshake.headers['x-api-key']
  return typeof key === 'string' ? key : undefined
}

/** Runs a socket event's handler with a viewer check; answers errors as `{ ok: false, error }`. */
async function handle<T>(socket: AdwatchSocket, ack: unknown, run: () => Promise<T>): Promise<void> {
  const reply = typeof ack === 'function' ? (ack as (res: T | AckError) => void) : () => undefined
  try {
    if (!hasRole(socket.data.principal.role, 'viewer')) throw new GatewayError('ADW_AUTH_FORBIDDEN', 403, 'forbidden: this needs the viewer role')
    reply(await run())
  } catch (err) {
    const e = err instanceof GatewayError ? { code: err.code, message: err.message } : { code: 'ADW_GATEWAY_INTERNAL', message: 'internal error' }
    reply({ ok: false, error: e })
  }
}

/** Checks a subscribe/unsubscribe request's shape. */
function checkEntities(request: unknown, max: number): EntityRef[] {
  const entities = (request as { entities?: unknown } | null)?.entities
  if (!Array.isArray(entities) || entities.length === 0 || entities.length > max) {
    throw new GatewayError('ADW_GATEWAY_INVALID_REQUEST', 400, `entities must be a list of 1–${max} { level, id }`, { field: 'entities' })
  }
  return entities.map((e: unknown, i) => {
    const { level, id } = (e ?? {}) as { level?: unknown; id?: unknown }
    if (typeof level !== 'string' || !(LEVELS as readonly string[]).includes(level)) throw new GatewayError('ADW_GATEWAY_INVALID_REQUEST', 400, `entities/${i}/level must be one of ${LEVELS.join(', ')}`, { field: `entities/${i}/level` })
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) throw new GatewayError('ADW_GATEWAY_INVALID_REQUEST', 400, `entities/${i}/id must be 1–256 characters`, { field: `entities/${i}/id` })
    return { level: level as Level, id }
  })
}
