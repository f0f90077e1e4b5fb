import { readFileSync } from 'node:fs'
import { Secret } from '../core/config.ts'
import { AdwatchError } from '../core/errors.ts'

/**
 * Receiver secrets (Slack webhook URLs, PagerDuty routing keys, webhook signing keys). Routing
 * configs only name them (`{"secret": "oncall_slack"}`); values come from the secrets file
 * (`{"<tenant>": {"<name>": "<value>"}}`) or, for tenants named with letters and digits only,
 * from `ADW_ALERTS_SECRET_<TENANT>_<NAME>`, and are scoped to their tenant, so one tenant
 * cannot name another's. Values are never logged:
 * `redact` scrubs them from any text (error messages included).
 */
export interface SecretResolver {
  resolve(tenant: string, name: string): Secret | undefined
  /** Replaces every known secret value in `text` with "[redacted]". */
  redact(text: string): string
}

/**
 * The environment variable that holds a tenant's secret, ADW_ALERTS_SECRET_<TENANT>_<NAME>
 * (upper-cased, other characters as `_`), or undefined for a tenant whose name has `-` or `_`.
 * The variable must name one tenant only: the tenant part ends at the first `_`, so a tenant
 * with `_` or `-` in its name would share variables with others (`acme-prod` + `slack` and
 * `acme` + `prod_slack` would both read ADW_ALERTS_SECRET_ACME_PROD_SLACK). Such tenants keep
 * their secrets in the secrets file, keyed by their exact name.
 */
export function secretVariableName(tenant: string, name: string): string | undefined {
  if (!/^[a-z0-9]+$/.test(tenant)) return undefined
  return `ADW_ALERTS_SECRET_${tenant.toUpperCase()}_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

/** Secrets from a file and from the environment slice the config collected. */
export class StaticSecretResolver implements SecretResolver {
  private readonly fromFile = new Map<string, Secret>()
  private readonly values: string[]

  constructor(fileSecrets: Readonly<Record<string, Readonly<Record<string, string>>>>, private readonly fromEnv: ReadonlyMap<string, Secret>) {
    for (const [tenant, byName] of Object.entries(fileSecrets)) {
      for (const [name, value] of Object.entries(byName)) this.fromFile.set(`${tenant}\u0000${name}`, new Secret(value))
    }
    this.values = [...this.fromFile.values(), ...fromEnv.values()].map((s) => s.reveal()).filter((v) => v.length >= 4).sort((a, b) => b.length - a.length)
  }

  resolve(tenant: string, name: string): Secret | undefined {
    const variable = secretVariableName(tenant, name)
    return this.fromFile.get(`${tenant}\u0000${name}`) ?? (variable === undefined ? undefined : this.fromEnv.get(variable))
  }

  redact(text: string): string {
    let out = text
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join('[redacted]')
    return out
  }
}

/** Reads the secrets file (empty path: none); a malformed file stops startup. */
export function loadSecretResolver(file: string, fromEnv: ReadonlyMap<string, Secret>): StaticSecretResolver {
  if (file === '') return new StaticSecretResolver({}, fromEnv)
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new AdwatchError('ADW_CONFIG_INVALID', `ADW_ALERTS_SECRETS_FILE: cannot read ${file} as JSON (${(err as Error).message.replace(/"[^"]*"/g, '"…"')})`)
  }
  const ok =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) &&
    Object.values(parsed).every((v) => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === 'string'))
  if (!ok) throw new AdwatchError('ADW_CONFIG_INVALID', `ADW_ALERTS_SECRETS_FILE: ${file} must hold {"<tenant>": {"<name>": "<value>"}}`)
  return new StaticSecretResolver(parsed as Record<string, Record<string, string>>, fromEnv)
}
