import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react'
import type { AdwatchApi } from './api/adwatch-api.ts'
import type { AlertStore } from './live/alert-store.ts'
import type { ConnectionState, LiveConnection } from './live/live-connection.ts'
import type { OverviewStore } from './live/overview-store.ts'
import type { Session } from './session.ts'

/** What every view of a signed-in dashboard shares. */
export interface Services {
  readonly session: Session
  readonly api: AdwatchApi
  readonly live: LiveConnection
  readonly overview: OverviewStore
  readonly alerts: AlertStore
  /** Editors and admins may save rules, acknowledge and silence. */
  readonly canEdit: boolean
}

export const ServicesContext = createContext<Services | undefined>(undefined)

export function useServices(): Services {
  const s = useContext(ServicesContext)
  if (s === undefined) throw new Error('useServices outside the dashboard')
  return s
}

/** A store's version, re-rendering when it changes (stores notify once per frame at most). */
export function useStoreVersion(store: { subscribe(l: () => void): () => void; getVersion(): number }): number {
  return useSyncExternalStore(store.subscribe, store.getVersion)
}

/**
 * A store's version, re-rendering at most once per `everyMs` however often it changes (for
 * figures that need not follow every frame).
 */
export function useThrottledVersion(store: { subscribe(l: () => void): () => void; getVersion(): number }, everyMs: number): number {
  const [version, setVersion] = useState(store.getVersion)
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    let lastAt = 0
    const update = () => {
      timer = undefined
      lastAt = Date.now()
      setVersion(store.getVersion())
    }
    const off = store.subscribe(() => {
      if (timer === undefined) timer = setTimeout(update, Math.max(0, everyMs - (Date.now() - lastAt)))
    })
    update()
    return () => {
      off()
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [store, everyMs])
  return version
}

export function useConnectionState(live: LiveConnection): ConnectionState {
  const [state, setState] = useState(live.state)
  useEffect(() => {
    setState(live.state)
    return live.onState(setState)
  }, [live])
  return state
}

/** The current time, ticking every `everyMs` (for "3 min ago" labels). */
export function useNow(everyMs = 5_000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(t)
  }, [everyMs])
  return now
}
