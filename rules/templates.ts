import type { Facts } from './fact-catalogue.ts'

/**
 * Fills `{{name}}` placeholders of an annotation with facts and labels: numbers get at most
 * two decimals, null shows as "n/a", unknown names stay as written. Pure.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (whole, name: string) => {
    if (!(name in values)) return whole
    const v = values[name]
    if (v === null || v === undefined) return 'n/a'
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2)
    return String(v)
  })
}

/** The facts a condition tree reads (its leaves and fact references), for alert values. */
export function factsRead(node: unknown, out: Set<string> = new Set()): Set<string> {
  if (node === null || typeof node !== 'object') return out
  const o = node as Record<string, unknown>
  if (typeof o.fact === 'string') out.add(o.fact)
  for (const v of Object.values(o)) {
    if (Array.isArray(v)) v.forEach((x) => factsRead(x, out))
    else if (v !== null && typeof v === 'object') factsRead(v, out)
  }
  return out
}

/** The subset of facts named. */
export function pickFacts(facts: Facts, names: Iterable<string>): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {}
  for (const n of names) out[n] = facts[n] ?? null
  return out
}
