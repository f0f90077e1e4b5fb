import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { loadConfig } from '../core/config.ts'
import { AdwatchError } from '../core/errors.ts'
import { EntitySettingsStore } from '../stream/entity-settings.ts'
import { RuleInvalidError } from './errors.ts'
import { RedisRuleStore } from './rule-store.ts'
import { validateRule } from './validate-rule.ts'

const USAGE = `adwatch rules CLI — rules as code, and campaign settings until the gateway's API

  npx tsx rules/cli.ts validate <file.json>...                 check rule files, print each problem with its JSON path
  npx tsx rules/cli.ts import <folder> --tenant T [--author A]  save every *.json rule in the folder (a new version each)
  npx tsx rules/cli.ts export <folder> --tenant T              write each current rule to <folder>/<id>.json
  npx tsx rules/cli.ts list --tenant T                         current rules with version, author and time
  npx tsx rules/cli.ts versions <id> --tenant T                every version of a rule
  npx tsx rules/cli.ts restore <id> <version> --tenant T [--author A]
  npx tsx rules/cli.ts campaign <id> --tenant T [--budget DOLLARS] [--name NAME]
  npx tsx rules/cli.ts account <id> --tenant T [--tz ZONE] [--name NAME]`

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { tenant: { type: 'string' }, author: { type: 'string' }, budget: { type: 'string' }, name: { type: 'string' }, tz: { type: 'string' }, help: { type: 'boolean' } },
  })
  const [command, ...args] = positionals
  if (command === undefined || values.help) {
    out(USAGE)
    return command === undefined && !values.help ? 2 : 0
  }
  if (command === 'validate') return validateFiles(args, out)
  const tenant = values.tenant
  if (tenant === undefined) {
    out(`${command}: --tenant is required\n\n${USAGE}`)
    return 2
  }
  const cfg = loadConfig()
  const redis = new Redis(cfg.redis.url, { maxRetriesPerRequest: 2 })
  const store = new RedisRuleStore(redis, cfg.redis.keyPrefix, Date.now)
  const author = values.author ?? process.env.USER ?? 'cli'
  try {
    switch (command) {
      case 'import': {
        const dir = required(args[0], 'folder')
        let failed = 0
        for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
          try {
            const saved = await store.save(tenant, JSON.parse(await readFile(path.join(dir, file), 'utf8')), author)
            out(`${file}: saved ${saved.rule.id} as version ${saved.version}`)
          } catch (err) {
            failed++
            out(`${file}: ${describe(err)}`)
          }
        }
        return failed === 0 ? 0 : 1
      }
      case 'export': {
        const dir = required(args[0], 'folder')
        await mkdir(dir, { recursive: true })
        for (const s of await store.list(tenant)) {
          await writeFile(path.join(dir, `${s.rule.id}.json`), `${JSON.stringify(s.rule, null, 2)}\n`)
          out(`${s.rule.id}.json (version ${s.version})`)
        }
        return 0
      }
      case 'list':
        for (const s of await store.list(tenant)) out(`${s.rule.id}\tv${s.version}\t${s.author}\t${new Date(s.savedAtMs).toISOString()}\t${s.rule.name}`)
        return 0
      case 'versions':
        for (const s of await store.versions(tenant, required(args[0], 'rule id'))) out(`v${s.version}\t${s.author}\t${new Date(s.savedAtMs).toISOString()}`)
        return 0
      case 'restore': {
        const saved = await store.restore(tenant, required(args[0], 'rule id'), Number(required(args[1], 'version')), author)
        out(`restored ${saved.rule.id} as version ${saved.version}`)
        return 0
      }
      case 'campaign': {
        const settings = new EntitySettingsStore(redis, cfg.redis.keyPrefix)
        const budget = values.budget === undefined ? undefined : Math.round(Number(values.budget) * 1_000_000)
        await settings.setCampaign(tenant, required(args[0], 'campaign id'), { ...(budget === undefined ? {} : { dailyBudgetMicros: budget }), ...(values.name ? { name: values.name } : {}) })
        out('saved')
        return 0
      }
      case 'account': {
        const settings = new EntitySettingsStore(redis, cfg.redis.keyPrefix)
        await settings.setAccount(tenant, required(args[0], 'account id'), { ...(values.tz ? { timeZone: values.tz } : {}), ...(values.name ? { name: values.name } : {}) })
        out('saved')
        return 0
      }
      default:
        out(`unknown command "${command}"\n\n${USAGE}`)
        return 2
    }
  } catch (err) {
    out(describe(err))
    return 1
  } finally {
    redis.disconnect()
  }
}

async function validateFiles(files: readonly string[], out: (line: string) => void): Promise<number> {
  let bad = 0
  for (const file of files) {
    const text = await readFile(file, 'utf8')
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      out(`${file}: $: not JSON: ${(err as Error).message}`)
      bad++
      continue
    }
    const problems = validateRule(parsed, text)
    if (problems.length === 0) out(`${file}: ok`)
    else {
      bad++
      for (const p of problems) out(`${file}: ${p.path}: ${p.message}`)
    }
  }
  return bad === 0 ? 0 : 1
}

function required(v: string | undefined, what: string): string {
  if (v === undefined || v === '') throw new AdwatchError('ADW_RULE_INVALID', `missing ${what}; see --help`)
  return v
}

function describe(err: unknown): string {
  if (err instanceof RuleInvalidError) return err.problems.map((p) => `${p.path}: ${p.message}`).join('\n')
  const e = err as { code?: string; message?: string }
  return `${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}`
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code))
}
