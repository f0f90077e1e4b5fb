/**
 * The gateway's front door for other folders: build and run a gateway, the REST and Socket.IO
 * shapes web/ shares, tenant-wide pushes, and pacing. Route groups inside gateway/ import the
 * modules they need directly.
 */
export { API_PREFIX, buildGateway, type Gateway, type GatewayAppConfig } from './app.ts'
export type * from './api-types.ts'
export type { Access, Principal, Role } from './auth/principal.ts'
export type { EntityCatalog, EntityView, GatewayDeps, ReadinessCheck } from './deps.ts'
export { GatewayMetrics, type ExternalMetricSources } from './metrics.ts'
export { computePacing, type PacingInput } from './pacing.ts'
export { startGatewayRuntime, type GatewayRuntime } from './runtime.ts'
export type * from './socket-events.ts'
export { LivePublisher } from './socket/publisher.ts'
