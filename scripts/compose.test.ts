// Keeps docker-compose.yml in step with `scripts/services env` (the local run) and with the
// variables core/config.ts reads. Needs no server and no Docker:
//   node --import tsx --test scripts/compose.test.ts
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { CONFIG_VARIABLES } from '../core/config.ts'
import { nodeFlagsOf } from '../core/node-flags.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

const INFRA = ['redis', 'clickhouse', 'kinesis', 'alertmanager'] as const
const ADWATCH = ['worker', 'producer', 'gateway', 'alerts', 'detectors'] as const

/** Which variable of `scripts/services env` names each server's URL. */
const URL_VARIABLE: Record<(typeof INFRA)[number], string> = {
  redis: 'ADW_REDIS_URL',
  clickhouse: 'ADW_CLICKHOUSE_URL',
  kinesis: 'ADW_KINESIS_ENDPOINT',
  alertmanager: 'ADW_ALERTMANAGER_URL',
}

/** `npx tsx` with the entry script's Node flags (core/node-flags.ts), as every launcher runs it. */
const tsxCommand = (script: string) => ['npx', 'tsx', ...nodeFlagsOf(script), script].join(' ')
const COMMANDS: Record<(typeof ADWATCH)[number], string> = {
  worker: tsxCommand('stream/main.ts'),
  producer: tsxCommand('stream/producer/main.ts'),
  gateway: tsxCommand('gateway/main.ts'),
  alerts: tsxCommand('alerts/main.ts'),
  detectors: tsxCommand('detectors/main.ts'),
}

type Service = {
  image?: unknown
  build?: unknown
  command?: unknown
  environment?: unknown
  depends_on?: unknown
  healthcheck?: { test?: unknown; disable?: unknown }
  ports?: unknown
}

function loadCompose(): Record<string, Service> {
  const doc = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as {
    services?: Record<string, Service>
  }
  assert.ok(doc && typeof doc === 'object' && doc.services, 'docker-compose.yml has no services')
  return doc.services
}

/** `scripts/services env`, run with no ADW_* overrides so it prints the default ports. */
function servicesEnv(): Map<string, string> {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ADW_')) env[k] = v
  const out = execFileSync('bash', ['scripts/services', 'env'], { cwd: root, env, encoding: 'utf8' })
  const vars = new Map<string, string>()
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue
    const m = /^export ([A-Z][A-Z0-9_]*)=(.*)$/.exec(line)
    assert.ok(m, `scripts/services env printed a line that is not \`export NAME=value\`: ${line}`)
    vars.set(m[1]!, m[2]!)
  }
  assert.ok(vars.size > 0, 'scripts/services env printed nothing')
  return vars
}

/** A service's environment in either compose form (map, or list of NAME=value). */
function environmentOf(service: Service): Map<string, string> {
  const env = new Map<string, string>()
  const raw = service.environment
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const s = String(item)
      const i = s.indexOf('=')
      env.set(i < 0 ? s : s.slice(0, i), i < 0 ? '' : s.slice(i + 1))
    }
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) env.set(k, v == null ? '' : String(v))
  }
  return env
}

type Port = { hostIp: string | undefined; published: number | undefined; target: number }

/** Published ports in the short ("[IP:]HOST:CONTAINER[/proto]") or the long syntax. */
function portsOf(service: Service): Port[] {
  const raw = service.ports
  if (raw == null) return []
  assert.ok(Array.isArray(raw), 'ports must be a list')
  return raw.map((p): Port => {
    if (p && typeof p === 'object') {
      const o = p as { host_ip?: unknown; published?: unknown; target?: unknown }
      return {
        hostIp: o.host_ip == null ? undefined : String(o.host_ip),
        published: o.published == null ? undefined : Number(o.published),
        target: Number(o.target),
      }
    }
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':')
    if (parts.length === 3) return { hostIp: parts[0], published: Number(parts[1]), target: Number(parts[2]) }
    if (parts.length === 2) return { hostIp: undefined, published: Number(parts[0]), target: Number(parts[1]) }
    return { hostIp: undefined, published: undefined, target: Number(parts[0]) }
  })
}

function urlPort(u: URL): number {
  if (u.port !== '') return Number(u.port)
  return u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : NaN
}

/** depends_on in the long form: service → condition (the short list form has no conditions). */
function dependsOn(service: Service): Map<string, string> {
  const raw = service.depends_on
  const deps = new Map<string, string>()
  if (Array.isArray(raw)) for (const name of raw) deps.set(String(name), 'service_started')
  else if (raw && typeof raw === 'object') {
    for (const [name, spec] of Object.entries(raw)) deps.set(name, String((spec as { condition?: unknown })?.condition ?? 'service_started'))
  }
  return deps
}

function hasHealthcheck(service: Service | undefined): boolean {
  const hc = service?.healthcheck
  if (!hc || hc.disable === true) return false
  const t = hc.test
  if (typeof t === 'string') return t.trim() !== ''
  return Array.isArray(t) && t.length >= 2 && ['CMD', 'CMD-SHELL'].includes(String(t[0]))
}

test('compose has the servers and adwatch\'s worker and producer', () => {
  const services = loadCompose()
  for (const name of [...INFRA, ...ADWATCH]) assert.ok(services[name], `service "${name}" missing from docker-compose.yml`)
})

test('every server has a healthcheck', () => {
  const services = loadCompose()
  for (const name of INFRA) assert.ok(hasHealthcheck(services[name]), `service "${name}" has no healthcheck`)
})

test('worker and producer start only once every server is healthy', () => {
  const services = loadCompose()
  for (const name of ADWATCH) {
    const deps = dependsOn(services[name]!)
    for (const server of INFRA) {
      assert.equal(deps.get(server), 'service_healthy', `${name} must depend on ${server} with condition: service_healthy`)
    }
  }
  // A service_healthy condition on a service without a healthcheck would never be met.
  for (const [name, service] of Object.entries(services)) {
    for (const [dep, condition] of dependsOn(service)) {
      assert.ok(services[dep], `${name} depends on unknown service "${dep}"`)
      if (condition === 'service_healthy') assert.ok(hasHealthcheck(services[dep]), `${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`)
    }
  }
})

test('worker and producer run adwatch\'s commands from the Dockerfile image', () => {
  const services = loadCompose()
  for (const name of ADWATCH) {
    const s = services[name]!
    assert.ok(s.build, `${name} must be built from the Dockerfile (build:)`)
    const cmd = Array.isArray(s.command) ? s.command.map(String).join(' ') : String(s.command ?? '')
    assert.equal(cmd, COMMANDS[name], `${name}'s command`)
  }
})

test('worker and producer get every variable `scripts/services env` prints', () => {
  const services = loadCompose()
  const local = servicesEnv()
  for (const name of ADWATCH) {
    const env = environmentOf(services[name]!)
    for (const [variable, localValue] of local) {
      const value = env.get(variable)
      assert.ok(value !== undefined && value !== '', `${name} does not set ${variable} (scripts/services env prints it)`)
      if (/^[a-z]+:\/\//.test(localValue)) {
        // Same kind of URL, pointing at a compose service instead of 127.0.0.1.
        const u = new URL(value)
        assert.equal(u.protocol, new URL(localValue).protocol, `${name}: ${variable}=${value} has another scheme than ${localValue}`)
        assert.ok(services[u.hostname], `${name}: ${variable}=${value} names no compose service`)
      } else {
        assert.equal(value, localValue, `${name}: ${variable} differs from the local run`)
      }
    }
  }
})

test('every ADW_* variable in compose is one core/config.ts reads', () => {
  const services = loadCompose()
  const known = new Set(CONFIG_VARIABLES.map((v) => v.name))
  for (const [name, service] of Object.entries(services)) {
    for (const variable of environmentOf(service).keys()) {
      if (!variable.startsWith('ADW_')) continue
      assert.ok(known.has(variable), `service ${name} sets ${variable}, which core/config.ts (CONFIG_VARIABLES) does not know`)
    }
  }
})

test('each server is published on 127.0.0.1 at the local run\'s port', () => {
  const services = loadCompose()
  const local = servicesEnv()
  const workerEnv = environmentOf(services.worker!)
  for (const server of INFRA) {
    const variable = URL_VARIABLE[server]
    const localUrl = local.get(variable)
    assert.ok(localUrl, `scripts/services env does not print ${variable}`)
    const hostPort = urlPort(new URL(localUrl))
    const ports = portsOf(services[server]!)
    const match = ports.find((p) => p.published === hostPort)
    assert.ok(match, `${server} does not publish host port ${hostPort} (${variable}=${localUrl}); it publishes ${JSON.stringify(ports)}`)
    assert.equal(match.hostIp, '127.0.0.1', `${server}: host port ${hostPort} must be bound to 127.0.0.1 only`)
    // And it forwards to the port adwatch's containers use.
    const inside = new URL(workerEnv.get(variable) ?? '')
    assert.equal(inside.hostname, server, `worker's ${variable} must point at the ${server} service`)
    assert.equal(match.target, urlPort(inside), `${server}: host port ${hostPort} must forward to ${urlPort(inside)}, the port in worker's ${variable}`)
  }
  // Nothing at all is published on every interface.
  for (const [name, service] of Object.entries(services)) {
    for (const p of portsOf(service)) assert.equal(p.hostIp, '127.0.0.1', `${name} publishes ${p.published ?? '(random)'}:${p.target} beyond 127.0.0.1`)
  }
})

test('the gateway listens on all interfaces in its container and is published on 127.0.0.1 at the local run\'s port', () => {
  const services = loadCompose()
  const env = environmentOf(services.gateway!)
  assert.equal(env.get('ADW_GATEWAY_HOST'), '0.0.0.0', 'inside a container, 127.0.0.1 is unreachable from the host')
  const local = CONFIG_VARIABLES.find((v) => v.name === 'ADW_GATEWAY_PORT')!.default
  const published = portsOf(services.gateway!).find((p) => p.published === local)
  assert.ok(published, `gateway does not publish host port ${local}, the local run's`)
  assert.equal(published.target, Number(env.get('ADW_GATEWAY_PORT')))
  assert.ok(hasHealthcheck(services.gateway), 'gateway has a healthcheck (GET /health)')
})

test('the Dockerfile and package.json start the worker with its Node flags, as compose and scripts/dev.ts do', () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8')
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1]
  assert.ok(cmd !== undefined, 'the Dockerfile has a CMD')
  assert.equal((JSON.parse(cmd) as string[]).join(' '), tsxCommand('stream/main.ts'))
  const scripts = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts
  assert.equal(`npx ${scripts.worker}`, tsxCommand('stream/main.ts'))
  assert.ok(nodeFlagsOf('gateway/main.ts').length > 0 && nodeFlagsOf('stream/main.ts').length > 0)
})
