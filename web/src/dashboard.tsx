import { useEffect, useMemo, useState } from 'react'
import { ApiClient } from './api/api-client.ts'
import { AdwatchApi } from './api/adwatch-api.ts'
import { AlertStore } from './live/alert-store.ts'
import { LiveConnection } from './live/live-connection.ts'
import { OverviewStore } from './live/overview-store.ts'
import type { Session } from './session.ts'
import { ServicesContext, useConnectionState, useServices, useStoreVersion, type Services } from './services.tsx'
import { AlertsView } from './views/alerts-view.tsx'
import { DetectorsView } from './views/detectors-view.tsx'
import { OverviewView } from './views/overview-view.tsx'
import { RulesView } from './views/rules-view.tsx'

const VIEWS = [
  { id: 'overview', title: 'Overview' },
  { id: 'alerts', title: 'Alerts' },
  { id: 'rules', title: 'Rules' },
  { id: 'detectors', title: 'Detectors' },
] as const
type ViewId = (typeof VIEWS)[number]['id']

function viewFromHash(): ViewId {
  const id = /^#\/(\w+)/.exec(location.hash)?.[1]
  return VIEWS.some((v) => v.id === id) ? (id as ViewId) : 'overview'
}

export interface DashboardProps {
  readonly session: Session
  readonly onLogout: (reason?: string) => void
}

/** The signed-in dashboard: shared services, the header with navigation and connection state, and the current view. */
export function Dashboard({ session, onLogout }: DashboardProps) {
  const services = useMemo<Services>(() => {
    const api = new AdwatchApi(new ApiClient(session.token, (err) => onLogout(`Signed out: ${err.message}`)))
    const live = new LiveConnection({ token: session.token, onAuthRejected: (m) => onLogout(`The live connection was refused: ${m}`) })
    const overview = new OverviewStore()
    const alerts = new AlertStore()
    live.onWindows((batch) => overview.applyUpdates(batch))
    live.onAlerts((batch) => alerts.applyTransitions(batch))
    live.onSettings((c) => overview.rename(c.kind, c.id, c.settings.name))
    return { session, api, live, overview, alerts, canEdit: session.role !== 'viewer' }
  }, [session, onLogout])

  useEffect(() => {
    services.live.open()
    return () => services.live.close()
  }, [services])

  // The alert list is loaded on start and again after every reconnect (pushes may have been missed).
  const connection = useConnectionState(services.live)
  const [alertsNotice, setAlertsNotice] = useState<string | undefined>()
  useEffect(() => {
    if (connection.kind !== 'live') return
    services.api
      .alerts({ state: 'all', limit: 500 })
      .then((page) => {
        services.alerts.load(page.items)
        setAlertsNotice(undefined)
      })
      .catch((err: Error) => setAlertsNotice(`Alert list unavailable (${err.message}); showing live transitions only.`))
  }, [services, connection.kind])

  const [view, setView] = useState<ViewId>(viewFromHash)
  useEffect(() => {
    const onHash = () => setView(viewFromHash())
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])
  const go = (id: ViewId) => {
    location.hash = `#/${id}`
    setView(id)
  }

  useStoreVersion(services.alerts)
  const openAlerts = [...services.alerts.openCountByEntity().values()].reduce((a, b) => a + b, 0)

  return (
    <ServicesContext.Provider value={services}>
      <div className="shell">
        <header className="topbar">
          <span className="brand">adwatch</span>
          <nav aria-label="Views">
            {VIEWS.map((v) => (
              <button key={v.id} type="button" className="tab" aria-current={view === v.id ? 'page' : undefined} onClick={() => go(v.id)}>
                {v.title}
                {v.id === 'alerts' && openAlerts > 0 && (
                  <span className="count" aria-label={`${openAlerts} open alerts`}>
                    {openAlerts}
                  </span>
                )}
              </button>
            ))}
          </nav>
          <ConnectionBadge />
          <span className="who" title={session.subject}>
            {session.tenant} · {session.role}
          </span>
          <button type="button" className="ghost" onClick={() => onLogout()}>
            Sign out
          </button>
        </header>
        <main className="content" aria-label={VIEWS.find((v) => v.id === view)!.title}>
          {alertsNotice !== undefined && view === 'alerts' && <p className="notice">{alertsNotice}</p>}
          {view === 'overview' && <OverviewView />}
          {view === 'alerts' && <AlertsView />}
          {view === 'rules' && <RulesView />}
          {view === 'detectors' && <DetectorsView />}
        </main>
      </div>
    </ServicesContext.Provider>
  )
}

function ConnectionBadge() {
  const { live } = useServices()
  const state = useConnectionState(live)
  const text = state.kind === 'live' ? 'Live' : state.kind === 'connecting' ? 'Connecting…' : state.kind === 'reconnecting' ? 'Reconnecting…' : 'Offline'
  const title = 'reason' in state ? state.reason : undefined
  return (
    <span className={`badge conn-${state.kind}`} role="status" aria-live="polite" title={title} data-testid="connection-state" data-state={state.kind}>
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  )
}
