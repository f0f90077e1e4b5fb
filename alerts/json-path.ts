import type { ErrorObject } from 'ajv'
import type { ConfigProblem } from './errors.ts'

/** "$" plus a JSON pointer as a JSON path: `/receivers/2/type` → `$.receivers[2].type`. */
export function pointerToPath(pointer: string, base = '$'): string {
  if (pointer === '') return base
  return (
    base +
    pointer
      .split('/')
      .slice(1)
      .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((p) => (/^\d+$/.test(p) ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`))
      .join('')
  )
}

/** Ajv errors as problems with JSON paths under `base`, in words a config author understands. */
export function ajvProblems(errors: readonly ErrorObject[] | null | undefined, base = '$'): ConfigProblem[] {
  const out: ConfigProblem[] = []
  for (const e of errors ?? []) {
    const path = pointerToPath(e.instancePath, base)
    const p = e.params as Record<string, unknown>
    switch (e.keyword) {
      case 'additionalProperties':
        out.push({ path: `${path}.${String(p.additionalProperty)}`, message: 'unknown field' })
        break
      case 'required':
        out.push({ path: `${path}.${String(p.missingProperty)}`, message: 'is required' })
        break
      case 'enum':
        out.push({ path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` })
        break
      case 'if':
      case 'anyOf':
      case 'oneOf':
        break // the branch errors above say what is wrong
      default:
        out.push({ path, message: e.message ?? e.keyword })
    }
  }
  const seen = new Set<string>()
  return out.filter((x) => {
    const k = `${x.path}\u0000${x.message}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
