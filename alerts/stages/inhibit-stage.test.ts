import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Alert } from '../alert.ts'
import type { RoutingConfig } from '../routing-config.ts'
import { alertOf, contextOf, routingOf, T0 } from '../testing/fixtures.ts'
import { emptyTenantState, TenantStateDraft } from '../tenant-state.ts'
import { InhibitStage } from './inhibit-stage.ts'

const account = alertOf({ sourceId: 'spend', level: 'account', entity: 'act_1' })
const campaign = alertOf({ sourceId: 'spend', level: 'campaign', entity: 'cmp_1' })
const adset = alertOf({ sourceId: 'spend', level: 'adset', entity: 'as_1', campaign: 'cmp_1' })
const ad = alertOf({ sourceId: 'spend', level: 'ad', entity: 'ad_1', campaign: 'cmp_1' })
const otherCampaignsAd = alertOf({ sourceId: 'spend', level: 'ad', entity: 'ad_9', campaign: 'cmp_9' })
const otherRuleCampaign = alertOf({ sourceId: 'cpc', level: 'campaign', entity: 'cmp_1' })
const otherAccountCampaign = alertOf({ sourceId: 'spend', level: 'campaign', entity: 'cmp_7', account: 'act_2' })

/** Runs the stage on `flowing` with `live` as the tenant's alerts; returns the entities let through. */
async function survivors(live: Alert[], flowing: Alert[], cfg?: RoutingConfig): Promise<string[]> {
  const state = emptyTenantState()
  for (const a of live) state.alerts.set(a.fingerprint, a)
  const out = await new InhibitStage().run(contextOf(new TenantStateDraft(state), T0, cfg === undefined ? undefined : routingOf(cfg)), flowing)
  return out.map((a) => a.entity)
}

test('table: inhibition down the hierarchy', async () => {
  const below = [campaign, adset, ad, otherCampaignsAd]
  const cases: Array<[string, Alert[], Alert[], string[]]> = [
    // A firing account alert of the rule mutes the rule's alerts on everything below that account.
    ['account mutes campaign, ad set and ad', [account, ...below], below, []],
    // A firing campaign alert mutes only its own ad sets and ads, not another campaign's.
    ['campaign mutes its ad set and ad', [campaign, adset, ad, otherCampaignsAd], [adset, ad, otherCampaignsAd], ['ad_9']],
    // Another rule's alert on the same campaign is not explained by this rule firing.
    ['other rules are not muted', [account, otherRuleCampaign], [otherRuleCampaign], ['cmp_1']],
    // Another account's campaigns are not muted.
    ['other accounts are not muted', [account, otherAccountCampaign], [otherAccountCampaign], ['cmp_7']],
    // A resolved account alert mutes nothing.
    ['resolved sources mute nothing', [{ ...account, status: 'resolved' }, campaign], [campaign], ['cmp_1']],
    // The resolve of an announced campaign alert passes even while the account fires (close what was opened).
    ['resolves pass', [account], [{ ...campaign, status: 'resolved' }], ['cmp_1']],
    // The account alert itself is not muted by anything.
    ['the top alert passes', [account, campaign], [account], ['act_1']],
  ]
  for (const [name, live, flowing, expected] of cases) assert.deepEqual(await survivors(live, flowing), expected, name)
})

test('configured inhibit rules: source matchers, target matchers, equal labels', async () => {
  const cfg: RoutingConfig = {
    receivers: [{ name: 'log', type: 'log' }],
    route: { receiver: 'log' },
    inhibit_rules: [{ source_matchers: [{ name: 'alertname', op: '=', value: 'spend-stopped' }], target_matchers: [{ name: 'alertname', op: '=~', value: 'low-.*' }], equal: ['account'] }],
  }
  const stopped = alertOf({ sourceId: 'spend-stopped', level: 'account', entity: 'act_1' })
  const lowCtr = alertOf({ sourceId: 'low-ctr', entity: 'cmp_2' })
  const lowCtrElsewhere = alertOf({ sourceId: 'low-ctr', entity: 'cmp_8', account: 'act_2', labels: { alertname: 'low-ctr', tenant: 'acme', level: 'campaign', entity: 'cmp_8', account: 'act_2' } })
  const highCpc = alertOf({ sourceId: 'high-cpc', entity: 'cmp_3' })
  // low-ctr on act_1 is muted (same account); on act_2 it is not (equal: account); high-cpc does not match the target.
  assert.deepEqual(await survivors([stopped, lowCtr, lowCtrElsewhere, highCpc], [lowCtr, lowCtrElsewhere, highCpc], cfg), ['cmp_8', 'cmp_3'])
  // Without the source firing, nothing is muted.
  assert.deepEqual(await survivors([lowCtr], [lowCtr], cfg), ['cmp_2'])
})
