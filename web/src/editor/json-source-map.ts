/** Where a value sits in JSON text: its own span, and its key's span when it is a property. */
export interface JsonSpan {
  readonly from: number
  readonly to: number
  readonly keyFrom?: number
  readonly keyTo?: number
}

/** A parsed document with the span of every value, by JSON path (`$.a.b[0]`, as validate-rule.ts writes them). */
export type JsonSourceMap =
  | { readonly ok: true; readonly value: unknown; readonly spans: ReadonlyMap<string, JsonSpan> }
  | { readonly ok: false; readonly error: { readonly message: string; readonly from: number; readonly to: number } }

class JsonSyntaxError extends Error {
  constructor(message: string, readonly from: number, readonly to: number) {
    super(message)
  }
}

/**
 * Parses strict JSON (RFC 8259) and records where each value is, so a problem found at a JSON
 * path can be shown at its place in the editor. On a syntax error, says what and where.
 */
export function parseWithSourceMap(text: string): JsonSourceMap {
  const spans = new Map<string, JsonSpan>()
  let i = 0

  const fail = (message: string, at = i, to = at + 1): never => {
    throw new JsonSyntaxError(message, at, Math.min(Math.max(to, at), text.length))
  }
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++
  }
  const describe = (at: number) => (at >= text.length ? 'the end of the text' : `"${text[at]}"`)

  const parseString = (): string => {
    const start = i
    i++ // opening quote
    let out = ''
    for (;;) {
      if (i >= text.length) fail('unterminated string', start, text.length)
      const ch = text[i]!
      if (ch === '"') {
        i++
        return out
      }
      if (ch === '\\') {
        const esc = text[i + 1]
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
        if (esc !== undefined && esc in simple) {
          out += simple[esc]
          i += 2
        } else if (esc === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16))
          i += 6
        } else fail('invalid escape in string', i, i + 2)
      } else if (ch < ' ') {
        fail('control character in string (escape it, e.g. \\n)')
      } else {
        out += ch
        i++
      }
    }
  }

  const parseValue = (path: string, key?: { from: number; to: number }): unknown => {
    ws()
    const from = i
    const ch = text[i]
    let value: unknown
    if (ch === '{') {
      i++
      const obj: Record<string, unknown> = {}
      ws()
      if (text[i] === '}') i++
      else {
        for (;;) {
          ws()
          if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describe(i)}`)
          const keyFrom = i
          const name = parseString()
          const keyTo = i
          ws()
          if (text[i] !== ':') fail(`expected ":" after "${name}", found ${describe(i)}`)
          i++
          obj[name] = parseValue(`${path}.${name}`, { from: keyFrom, to: keyTo })
          ws()
          if (text[i] === ',') {
            const comma = i++
            ws()
            if (text[i] === '}') fail('trailing comma before "}"', comma)
            continue
          }
          if (text[i] === '}') {
            i++
            break
          }
          fail(`expected "," or "}" after a property, found ${describe(i)}`)
        }
      }
      value = obj
    } else if (ch === '[') {
      i++
      const arr: unknown[] = []
      ws()
      if (text[i] === ']') i++
      else {
        for (;;) {
          arr.push(parseValue(`${path}[${arr.length}]`))
          ws()
          if (text[i] === ',') {
            const comma = i++
            ws()
            if (text[i] === ']') fail('trailing comma before "]"', comma)
            continue
          }
          if (text[i] === ']') {
            i++
            break
          }
          fail(`expected "," or "]" after an element, found ${describe(i)}`)
        }
      }
      value = arr
    } else if (ch === '"') {
      value = parseString()
    } else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) {
      const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i))
      if (m === null) fail('invalid number')
      i += m![0].length
      value = Number(m![0])
    } else {
      const word = /^[A-Za-z_]+/.exec(text.slice(i))?.[0]
      if (word === 'true' || word === 'false' || word === 'null') {
        i += word.length
        value = word === 'true' ? true : word === 'false' ? false : null
      } else if (word !== undefined) {
        fail(`unexpected word "${word}" (strings need double quotes)`, i, i + word.length)
      } else fail(`expected a value, found ${describe(i)}`)
    }
    spans.set(path, key === undefined ? { from, to: i } : { from, to: i, keyFrom: key.from, keyTo: key.to })
    return value
  }

  try {
    const value = parseValue('$')
    ws()
    if (i < text.length) fail(`unexpected ${describe(i)} after the end of the document`)
    return { ok: true, value, spans }
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, error: { message: err.message, from: err.from, to: err.to } }
    throw err
  }
}

/**
 * The span a problem at `path` is shown at: the value there, the key for "unknown field"
 * problems, else the nearest ancestor that exists (a missing field is shown on its object).
 */
export function spanOfPath(spans: ReadonlyMap<string, JsonSpan>, path: string, preferKey = false): JsonSpan & { readonly exact: boolean } {
  let p = path
  let exact = true
  for (;;) {
    const s = spans.get(p)
    if (s !== undefined) {
      if (preferKey && exact && s.keyFrom !== undefined) return { from: s.keyFrom, to: s.keyTo!, exact }
      return { ...s, exact }
    }
    const parent = parentPath(p)
    if (parent === undefined) return { from: 0, to: 0, exact: false }
    p = parent
    exact = false
  }
}

/** `$.a.b[2]` → `$.a.b`; `$` → undefined. */
export function parentPath(path: string): string | undefined {
  if (path === '$') return undefined
  const m = /^(.*?)(?:\.[^.[\]]*|\[\d+\])$/.exec(path)
  return m === null || m[1] === '' ? '$' : m[1]
}
