import { matchLabels, type Alert } from '../alert.ts'
import { receiversFor } from '../routing.ts'
import type { AlertStage, StageContext } from './stage.ts'

/**
 * Finds each alert's receivers in the tenant's routing tree (label matchers, `continue`) and
 * annotates them; an alert no route sends anywhere is dropped. Pure.
 */
export class RouteStage implements AlertStage {
  readonly name = 'route'

  async run(ctx: StageContext, alerts: readonly Alert[]): Promise<readonly Alert[]> {
    const out: Alert[] = []
    for (const a of alerts) {
      const receivers = receiversFor(ctx.routing.route, matchLabels(a)).filter((r) => ctx.routing.notifiers.has(r))
      if (receivers.length > 0) out.push({ ...a, receivers })
    }
    return out
  }
}
