import { useState, type FormEvent } from 'react'

export interface LoginViewProps {
  readonly onLogin: (token: string) => void
  readonly busy: boolean
  readonly notice: string | undefined
}

/** Sign-in with a JWT or an API key (the local run prints a ready-made dev token). */
export function LoginView({ onLogin, busy, notice }: LoginViewProps) {
  const [token, setToken] = useState('')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (token.trim() !== '') onLogin(token)
  }
  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">adwatch</h1>
        <p className="muted">Live ad spend, alerts and rules. Sign in with a JWT or an API key.</p>
        <label htmlFor="login-token">Token or API key</label>
        <textarea
          id="login-token"
          name="token"
          rows={4}
          spellCheck={false}
          autoComplete="off"
          placeholder="eyJhbGciOi… or adw_…"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        {notice !== undefined && (
          <p className="error" role="alert">
            {notice}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          Running locally? <code>npm start</code> prints a dashboard link with a dev token.
        </p>
      </form>
    </main>
  )
}
