import { useCallback, useEffect, useState } from 'react'
import { ApiClient, ApiError } from './api/api-client.ts'
import { AdwatchApi } from './api/adwatch-api.ts'
import { Dashboard } from './dashboard.tsx'
import { clearSession, loadSession, saveSession, takeTokenFromUrl, type Session } from './session.ts'
import { LoginView } from './views/login-view.tsx'

/** Checks a credential with `GET /me`; the session it opens, or the reason it was refused. */
export async function signIn(token: string): Promise<Session> {
  const me = await new AdwatchApi(new ApiClient(token)).me()
  return { token, tenant: me.tenant, role: me.role, subject: me.subject }
}

/** The dashboard, behind the login screen. */
export function App() {
  const [session, setSession] = useState<Session | undefined>(() => loadSession())
  const [notice, setNotice] = useState<string | undefined>()
  const [checking, setChecking] = useState(false)

  const login = useCallback(async (token: string) => {
    setChecking(true)
    setNotice(undefined)
    try {
      const s = await signIn(token.trim())
      saveSession(s)
      setSession(s)
    } catch (err) {
      setNotice(err instanceof ApiError ? err.message : `sign-in failed: ${(err as Error).message}`)
    } finally {
      setChecking(false)
    }
  }, [])

  useEffect(() => {
    const fromUrl = takeTokenFromUrl()
    if (fromUrl !== undefined) void login(fromUrl)
  }, [login])

  const logout = useCallback((reason?: string) => {
    clearSession()
    setSession(undefined)
    setNotice(reason)
  }, [])

  if (session === undefined) return <LoginView onLogin={login} busy={checking} notice={notice} />
  return <Dashboard key={session.token} session={session} onLogout={logout} />
}
