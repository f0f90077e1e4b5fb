/** Roles, weakest first: a role may do everything the roles before it may. */
export const ROLES = ['viewer', 'editor', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** Tenant names, as the event contract allows them. */
export { TENANT_PATTERN } from '../../stream/event.ts'

/**
 * Who is calling: always one tenant and one role. `subject` is the JWT `sub` or `key:<id>`;
 * rate limits and audit fields use it. A JWT principal carries its expiry.
 */
export type Principal =
  | { readonly kind: 'jwt'; readonly tenant: string; readonly role: Role; readonly subject: string; readonly expiresAtMs: number | undefined }
  | { readonly kind: 'api-key'; readonly tenant: string; readonly role: Role; readonly subject: string; readonly keyId: string }

/** What a route or socket event requires of its caller. */
export type Access = { readonly public: true } | { readonly role: Role }

/** True when `role` is at least `required`. */
export function hasRole(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required)
}

/** True for one of the three role names. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}
