import type { ErrorBodyDto } from '../../../gateway/api-types.ts'

/** An error answer of the gateway (or a network failure, status 0), with its stable code. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message)
    this.name = 'ApiError'
  }

  /** True when the credentials are missing, invalid or expired (log in again). */
  get isAuthFailure(): boolean {
    return this.status === 401
  }
}

/** Query values; undefined ones are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>

/**
 * The gateway's REST API from the browser: same origin, bearer credentials (JWT or API key),
 * JSON in and out, error bodies turned into ApiError. `onAuthFailure` lets the app return to
 * the login screen when a token expires.
 */
export class ApiClient {
  constructor(
    private readonly token: string,
    private readonly onAuthFailure: (err: ApiError) => void = () => {},
    private readonly baseUrl = '/api/v1',
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, query, undefined, signal)
  }

  post<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('POST', path, undefined, body ?? {}, signal)
  }

  put<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.request<T>('PUT', path, undefined, body, signal)
  }

  delete<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('DELETE', path, undefined, undefined, signal)
  }

  private async request<T>(method: string, path: string, query: Query | undefined, body: unknown, signal: AbortSignal | undefined): Promise<T> {
    const url = this.baseUrl + path + queryString(query)
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await this.fetchImpl(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: signal ?? null })
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err
      throw new ApiError(0, 'ADW_WEB_NETWORK', `the gateway did not answer (${(err as Error).message})`)
    }
    const text = await res.text()
    const parsed = text === '' ? undefined : safeJson(text)
    if (!res.ok) {
      const e = (parsed as Partial<ErrorBodyDto> | undefined)?.error
      const err = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${method} ${path} answered ${res.status}`, e?.field)
      if (err.isAuthFailure) this.onAuthFailure(err)
      throw err
    }
    return parsed as T
  }
}

/** `?a=1&b=x` from the defined values, or ''. */
export function queryString(query: Query | undefined): string {
  if (query === undefined) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) p.set(k, String(v))
  const s = p.toString()
  return s === '' ? '' : `?${s}`
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
