/** The signed-in session: the credential and who it is. Kept in sessionStorage (one tab). */
export interface Session {
  readonly token: string
  readonly tenant: string
  readonly role: 'viewer' | 'editor' | 'admin'
  readonly subject: string
}

const KEY = 'adwatch.session'

export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY)
    return raw === null ? undefined : (JSON.parse(raw) as Session)
  } catch {
    return undefined
  }
}

export function saveSession(s: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(s))
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY)
}

/**
 * A token handed over in the URL fragment (`/#token=…`, as the local run prints it): the
 * fragment never reaches a server or its logs. It is removed from the address bar at once.
 */
export function takeTokenFromUrl(): string | undefined {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash)
  if (m === null) return undefined
  history.replaceState(null, '', `${location.pathname}${location.search}#/overview`)
  return decodeURIComponent(m[1]!)
}
