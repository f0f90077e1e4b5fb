import { stat } from 'node:fs/promises'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'

/** Options of the dashboard's static files. */
export interface WebStaticOptions {
  /** The built dashboard (web/dist, ADW_GATEWAY_WEB_DIR): index.html and assets/. */
  readonly root: string
  /** Path prefixes that are never the dashboard: unknown paths under them stay JSON 404s. */
  readonly reservedPrefixes?: readonly string[]
}

const DEFAULT_RESERVED = ['/api/', '/socket.io/', '/docs', '/metrics', '/health', '/ready']
/** esbuild names bundles `name-HASH.ext` (web/build.ts): such a file never changes. */
const HASHED = /^assets\/[^/]+-[A-Z0-9]{8}\.(?:js|css|js\.map|css\.map)$/

/**
 * Serves the built dashboard at `/` from one origin with the API: hashed assets cached for a
 * year, index.html never cached, and an SPA fallback (a browser navigation to any other path
 * gets index.html, so a reload or deep link works). Unknown API paths, and requests that do
 * not ask for HTML, still reach the gateway's JSON 404. When the dashboard is not built, `/`
 * answers 503 saying how to build it.
 */
export const webStatic: FastifyPluginAsync<WebStaticOptions> = async (app, opts) => {
  const root = path.resolve(opts.root)
  const reserved = opts.reservedPrefixes ?? DEFAULT_RESERVED
  const built = await isFile(path.join(root, 'index.html'))
  if (!built) {
    app.log.warn({ root }, 'the dashboard is not built: run `node --import tsx web/build.ts`')
    app.get('/', { config: { access: { public: true }, rateLimit: false }, schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send(`The adwatch dashboard is not built in ${root}.\nBuild it with: node --import tsx web/build.ts\n`),
    )
    return
  }
  // Only reply.sendFile; the route below decides what each path gets.
  await app.register(fastifyStatic, { root, serve: false, cacheControl: false, etag: true, lastModified: true })

  const sendIndex = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html')

  // Public and not rate-limited, like /docs: static files cost no store call.
  app.get<{ Params: { '*': string } }>('/*', { config: { access: { public: true }, rateLimit: false }, schema: { hide: true } }, async (req, reply) => {
    const rel = safeRelative(req.params['*'] ?? '')
    if (rel === '' || rel === 'index.html') return sendIndex(reply)
    if (rel !== undefined && (await isFile(path.join(root, rel)))) {
      reply.header('cache-control', HASHED.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache')
      return reply.sendFile(rel)
    }
    const url = req.url.split('?')[0]!
    if (reserved.some((p) => url.startsWith(p)) || !acceptsHtml(req)) return reply.callNotFound()
    return sendIndex(reply)
  })
}

/** A path inside the root, without `..`, empty or hidden segments; undefined otherwise. */
function safeRelative(raw: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    return undefined
  }
  if (decoded === '') return ''
  const parts = decoded.split('/')
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.') || p.includes('\\') || p.includes('\0'))) return undefined
  return parts.join('/')
}

function acceptsHtml(req: FastifyRequest): boolean {
  return req.method === 'GET' && /text\/html/.test(req.headers.accept ?? '')
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile()
  } catch {
    return false
  }
}
