import type { Level } from '../../stream/event.ts'

/**
 * Socket.IO room names. The tenant is always part of the name and always comes from the
 * socket's credentials, never from the client, so a socket can only be in its tenant's rooms.
 */

/** The room of every socket of a tenant (settings, alert and rule events). */
export function tenantRoom(tenant: string): string {
  return `t\u0000${tenant}`
}

/** The room of one entity of a tenant (its window updates). */
export function entityRoom(tenant: string, level: Level, id: string): string {
  return `e\u0000${tenant}\u0000${level}\u0000${id}`
}
