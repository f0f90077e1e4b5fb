import { AdwatchError } from '../core/errors.ts'
import type { RuleProblem } from './validate-rule.ts'

/** A rule failed validation; `problems` names each JSON path and what would be valid. */
export class RuleInvalidError extends AdwatchError {
  constructor(readonly problems: readonly RuleProblem[]) {
    super('ADW_RULE_INVALID', `rule is invalid: ${problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`)
  }
}

/** A create named an id the tenant already has a current rule of. */
export class RuleExistsError extends AdwatchError {
  constructor(tenant: string, id: string) {
    super('ADW_RULE_EXISTS', `rule "${id}" already exists for tenant ${tenant}; save a new version with PUT …/rules/${id}`)
  }
}

/** No rule (or version) with that id for the tenant. */
export class RuleNotFoundError extends AdwatchError {
  constructor(tenant: string, id: string, version?: number) {
    super('ADW_RULE_NOT_FOUND', `rule "${id}"${version === undefined ? '' : ` version ${version}`} not found for tenant ${tenant}`)
  }
}
