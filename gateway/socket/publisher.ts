import type { Authenticator } from '../auth/authenticator.ts'
import type { RuleChangePush, SettingsChange } from '../socket-events.ts'
import { tenantRoom } from './rooms.ts'
import { dropKey, type AdwatchServer } from './socket-server.ts'

/**
 * Tenant-wide pushes for route groups and other parts: emitted to the tenant's room, which the
 * Redis adapter shares across gateways, so every socket of the tenant gets them once. (Alert
 * transitions are not pushed here: each gateway's AlertForwarder reads the alerts event log for
 * its own sockets, socket/alert-forwarder.ts.)
 */
export class LivePublisher {
  constructor(private readonly io: AdwatchServer, private readonly authenticator: Authenticator) {}

  /** A settings change: to the tenant's sockets, and other gateways drop their cached settings. */
  settingsChanged(tenant: string, change: SettingsChange): void {
    this.io.to(tenantRoom(tenant)).emit('settings', change)
    this.io.serverSideEmit('settingsChanged', tenant)
  }

  /** A rule saved, restored or deleted. */
  ruleChanged(tenant: string, change: RuleChangePush): void {
    this.io.to(tenantRoom(tenant)).emit('rule:changed', change)
  }

  /** A revoked API key stops working on every gateway at once, its sockets included. */
  apiKeyRevoked(keyId: string): void {
    dropKey(this.io, this.authenticator, keyId)
    this.io.serverSideEmit('apiKeyRevoked', keyId)
  }
}
