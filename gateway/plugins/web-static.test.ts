import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import Fastify from 'fastify'
import { webStatic } from './web-static.ts'

function builtDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adwatch-web-'))
  mkdirSync(path.join(dir, 'assets'))
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div>')
  writeFileSync(path.join(dir, 'assets', 'main-ABCD1234.js'), 'console.log(1)')
  writeFileSync(path.join(dir, 'robots.txt'), 'User-agent: *')
  return dir
}

async function app(root: string) {
  const a = Fastify()
  // As the gateway's error handler does: JSON 404s.
  a.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'ADW_GATEWAY_NOT_FOUND', message: `no route ${req.method} ${req.url}` } }))
  a.get('/api/v1/me', async () => ({ tenant: 'acme' }))
  await a.register(webStatic, { root })
  return a
}

test('serves index.html uncached at / and hashed assets cached for a year', async () => {
  const a = await app(builtDir())
  const index = await a.inject({ url: '/' })
  assert.equal(index.statusCode, 200)
  assert.match(index.headers['content-type'] as string, /text\/html/)
  assert.equal(index.headers['cache-control'], 'no-cache')
  const js = await a.inject({ url: '/assets/main-ABCD1234.js' })
  assert.equal(js.statusCode, 200)
  assert.match(js.headers['content-type'] as string, /javascript/)
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable')
  const other = await a.inject({ url: '/robots.txt' })
  assert.equal(other.headers['cache-control'], 'no-cache', 'unhashed files are revalidated')
  await a.close()
})

test('browser navigations to other paths get the app (SPA fallback); API paths and non-HTML requests keep JSON 404s', async () => {
  const a = await app(builtDir())
  const deep = await a.inject({ url: '/alerts/history', headers: { accept: 'text/html,application/xhtml+xml' } })
  assert.equal(deep.statusCode, 200)
  assert.match(deep.body, /id="root"/)
  const api = await a.inject({ url: '/api/v1/nope', headers: { accept: 'text/html' } })
  assert.equal(api.statusCode, 404)
  assert.equal(api.json().error.code, 'ADW_GATEWAY_NOT_FOUND')
  const missingAsset = await a.inject({ url: '/assets/main-OLDHASH0.js', headers: { accept: '*/*' } })
  assert.equal(missingAsset.statusCode, 404, 'a stale asset is not answered with HTML')
  assert.equal((await a.inject({ url: '/api/v1/me' })).json().tenant, 'acme', 'API routes are untouched')
  await a.close()
})

test('paths leaving the folder or naming hidden files are never served', async () => {
  const dir = builtDir()
  writeFileSync(path.join(dir, '.env'), 'SECRET=1')
  const a = await app(dir)
  for (const url of ['/..%2f..%2fetc%2fpasswd', '/.env', '/assets/..%2f..%2f.env', '/%2e%2e/%2e%2e/etc/passwd']) {
    const res = await a.inject({ url, headers: { accept: 'application/json' } })
    assert.equal(res.statusCode, 404, url)
    assert.doesNotMatch(res.body, /SECRET|root:/)
  }
  await a.close()
})

test('without a build, / says how to build the dashboard', async () => {
  const a = await app(mkdtempSync(path.join(os.tmpdir(), 'adwatch-web-empty-')))
  const res = await a.inject({ url: '/' })
  assert.equal(res.statusCode, 503)
  assert.match(res.body, /node --import tsx web\/build\.ts/)
  await a.close()
})
