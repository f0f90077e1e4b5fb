import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { buildWeb } from './build.ts'
import { artifact, launchChromium } from './testing/browser.ts'
import { createClickHouse } from '../core/clickhouse.ts'
import { ClickHouseScoreHistory } from '../detectors/clickhouse-score-history.ts'
import { spikeEvents, startDashboardStack, TENANT, type DashboardStack } from './testing/dashboard-stack.ts'

/**
 * The dashboard in Debian's Chromium against the real local stack (Redis, ClickHouse and
 * kinesalite from scripts/test; a worker, the rules engine and a gateway as child processes,
 * and a producer, started here): log in, the table fills, a chart's last point advances, a
 * spike's alert reaches the feed within 2 s and is acknowledged, the rule editor shows an
 * error at its JSON path, takes the fix with completion, backtests and saves, and the page
 * reconnects by itself after a gateway restart. Screenshots of each view go to
 * web/test-artifacts/.
 */

const SPIKE_RULE = {
  id: 'web-spend-spike',
  name: 'Spend above $20,000 in a minute',
  level: 'campaign',
  severity: 'critical',
  conditions: { all: [{ fact: 'spend_1m', operator: 'greaterThan', value: 20_000 }] },
}
const DRAFT_INVALID = `{
  "id": "web-draft",
  "name": "CPC above $2 with clicks",
  "level": "campaign",
  "severity": "warning",
  "conditions": {
    "all": [
      { "fact": "cpc_16m", "operator": "greaterThan", "value": 2 },
      { "fact": "clicks_15m", "operator": "greaterThanInclusive", "value": 5 }
    ]
  }
}`

let stack: DashboardStack
let browser: Browser
let page: Page
const pageErrors: string[] = []

before(async () => {
  if (!existsSync(new URL('./dist/index.html', import.meta.url))) await buildWeb()
  // Faster polling and ticks than the defaults, so event ▸ alert fits the 2 s budget on this machine.
  stack = await startDashboardStack({ name: 'webui', campaigns: 300, ratePerSec: 800, env: { ADW_POLL_IDLE_MS: '50', ADW_RULES_TICK_MS: '250' } })
  await stack.saveRule(SPIKE_RULE)
  // Detector scores of the last minutes of every campaign, as the detector runner writes them
  // (no runner here): the selected campaign's charts draw them as a band.
  const ch = createClickHouse(stack.cfg.clickhouse)
  const minute = Math.floor(Date.now() / 60_000) * 60_000
  await new ClickHouseScoreHistory(ch, stack.cfg.clickhouse.database).append(TENANT, 'campaign', stack.catalogue.campaigns.flatMap((c) => [3, 2].map((k) => ({ entity: c.id, minuteMs: minute - k * 60_000, scores: { ewma: 0.3 * k, iforest: 0.1 } }))))
  await ch.close()
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('pageerror', (e) => pageErrors.push(e.message))
})

after(async () => {
  await browser?.close()
  await stack?.close()
})

async function chartLast(testId: string): Promise<{ x: number; y: number; points: number }> {
  const d = await page.locator(`[data-testid=${testId}]`).evaluate((e) => ({ ...(e as HTMLElement).dataset }))
  return { x: Number(d.lastX), y: Number(d.lastY), points: Number(d.points) }
}

/** A view's button in the header navigation. */
function nav(name: string) {
  return page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: new RegExp(`^${name}`) })
}

test('log in with a JWT', { timeout: 60_000 }, async () => {
  await page.goto(stack.url)
  await page.getByLabel('Token or API key').fill(stack.token)
  await page.screenshot({ path: artifact('1-login.png') })
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByText('acme · admin').waitFor({ timeout: 10_000 })
  await page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 10_000 })
})

test('the campaigns table fills with live rows', { timeout: 90_000 }, async () => {
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=campaign-count]')?.getAttribute('data-count')) >= 100, null, { timeout: 60_000 })
  await page.locator('.tr.campaign').nth(14).waitFor({ timeout: 10_000 })
  const rows = await page.locator('.tr.campaign').count()
  assert.ok(rows >= 15, `visible campaign rows: ${rows}`)
  assert.ok((await page.locator('.tr.account').count()) >= 1)
  // Spend today is a dollar amount on the first campaign row.
  assert.match((await page.locator('.tr.campaign .col-spend').first().textContent()) ?? '', /^\$[\d,]+\.\d\d$/)
  // Sorting by name ascending and back to spend (descending, the default). Live values move
  // between re-orderings (once a second), so the order is checked on names.
  await page.getByRole('button', { name: 'Sort by Account ▸ campaign' }).click()
  // Names sort naturally: cmp_2 before cmp_10.
  const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })
  await page.locator('[role=table][data-order=name-asc]').waitFor({ timeout: 5_000 }) // ordered in slices, off the click's task
  const names = await page.locator('.tr.campaign .col-name').evaluateAll((els) => els.slice(0, 8).map((e) => e.textContent ?? ''))
  assert.deepEqual(names, [...names].sort(natural.compare))
  assert.equal(await page.getByRole('columnheader', { name: /Account ▸ campaign/ }).getAttribute('aria-sort'), 'ascending')
  await page.getByRole('button', { name: 'Sort by Spend today' }).click()
  await page.locator('[role=table][data-order=spend-desc]').waitFor({ timeout: 5_000 })
  assert.equal(await page.getByRole('columnheader', { name: /Spend today/ }).getAttribute('aria-sort'), 'descending')
  await page.screenshot({ path: artifact('2-overview.png') })
})

test("a chart's last point advances as events flow", { timeout: 120_000 }, async () => {
  await page.locator('[data-testid=chart-spend]').waitFor()
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=chart-spend]')?.getAttribute('data-points')) > 0, null, { timeout: 20_000 })
  const first = await chartLast('chart-spend')
  await page.waitForFunction(
    (f) => {
      const d = (document.querySelector('[data-testid=chart-spend]') as HTMLElement).dataset
      return Number(d.lastX) > f.x || Number(d.lastY) > f.y
    },
    first,
    { timeout: 60_000 },
  )
  const later = await chartLast('chart-spend')
  assert.ok(later.x > first.x || later.y > first.y, `last point ${JSON.stringify(first)} → ${JSON.stringify(later)}`)
  // The detector score band: the two minutes of score history written above.
  await page.waitForFunction(() => document.querySelector('[data-testid=chart-spend] [data-score-band]')?.getAttribute('data-score-band') === '2', null, { timeout: 10_000 })
  assert.ok(later.points >= 2, 'the hour of history is drawn, not only the live minute')
})

test('a spike put by the producer shows as an alert in the feed within 2 s', { timeout: 60_000 }, async () => {
  await nav('Alerts').click()
  const victim = stack.catalogue.campaigns[7]!
  const card = page.locator(`.alert-card[data-state=firing][aria-label*="${victim.id}"]`)
  const t0 = Date.now()
  await stack.put(spikeEvents(victim, 50_000e6))
  const putMs = Date.now() - t0
  await card.waitFor({ timeout: 15_000 })
  const elapsedMs = Date.now() - t0
  const decidedAtMs = await stack.alertLoggedAt(victim.id)
  console.log(`spike: put ${putMs} ms; rules engine decided at +${decidedAtMs - t0} ms; in the feed at +${elapsedMs} ms`)
  assert.match((await card.locator('.explanation').textContent()) ?? '', /^spend_1m = [\d.]+ > 20000 ✓$/)
  await page.screenshot({ path: artifact('3-alerts.png') })
  // The budget is 2 s (DESIGN.md): measured 0.37 s on the quiet 2-core machine running the whole
  // stack and Chromium, 0.96 s at load 9, and up to 2.1 s at load 10 from other work.
  assert.ok(elapsedMs <= 2_000, `the alert took ${elapsedMs} ms (budget 2,000 ms)`)
})

test('acknowledge the alert, silence it with the prefilled matchers, and find it in the history', { timeout: 60_000 }, async () => {
  const victim = stack.catalogue.campaigns[7]!
  const card = page.locator(`.alert-card[data-state=firing][aria-label*="${victim.id}"]`)
  await card.getByRole('button', { name: /^Acknowledge/ }).click()
  await card.locator('[data-testid=acked]').waitFor({ timeout: 10_000 })
  assert.match((await card.locator('[data-testid=acked]').textContent()) ?? '', /^acknowledged by (user:)?web-test$/)
  await page.screenshot({ path: artifact('3b-alert-acknowledged.png') })

  await card.getByRole('button', { name: /^Silence/ }).click()
  const dialog = page.getByRole('dialog', { name: /^Silence alerts like web-spend-spike/ })
  await dialog.waitFor()
  assert.equal(await dialog.getByLabel('Value of alertname').inputValue(), 'web-spend-spike')
  assert.equal(await dialog.getByLabel('Value of entity').inputValue(), victim.id)
  await page.screenshot({ path: artifact('3c-silence-dialog.png') })
  await dialog.getByRole('button', { name: 'Create silence' }).click()
  await dialog.waitFor({ state: 'detached', timeout: 10_000 })
  await card.locator('.pill.silenced').waitFor({ timeout: 5_000 })

  await page.getByRole('tab', { name: 'History' }).click()
  const row = page.getByRole('table', { name: 'Alert history' }).locator(`tr:has(.entity:text-is("${victim.id}"))`).first()
  await row.waitFor({ timeout: 15_000 })
  assert.match((await row.textContent()) ?? '', /firing|pending/)
  await page.screenshot({ path: artifact('3d-alert-history.png') })
  await page.getByRole('tab', { name: 'Live' }).click()
})

test('an invalid rule shows its error at the JSON path; the fix clears it, with completion as you type', { timeout: 60_000 }, async () => {
  await nav('Rules').click()
  const editor = page.locator('.cm-content')
  await editor.click()
  await page.keyboard.press('Control+A')
  await page.keyboard.insertText(DRAFT_INVALID)
  const problem = page.locator('[data-testid=rule-problems] li', { hasText: '$.conditions.all[0].fact' })
  await problem.waitFor({ timeout: 5_000 })
  assert.match((await problem.textContent()) ?? '', /unknown fact "cpc_16m"; did you mean/)
  assert.equal(await page.locator('[data-testid=rule-status]').textContent(), '1 problem')
  // The editor underlines exactly the bad value.
  await page.locator('.cm-lintRange-error').first().waitFor()
  assert.equal(await page.locator('.cm-lintRange-error').first().textContent(), '"cpc_16m"')
  await page.screenshot({ path: artifact('4-rule-invalid.png') })

  // Fix it by typing: put the cursor after "cpc_1", delete the 6 and type 5; completion offers facts.
  await problem.getByRole('button').click() // selects the bad value
  await page.keyboard.press('ArrowRight') // cursor after the closing quote
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft') // before `6m"`
  await page.keyboard.press('Delete')
  await page.keyboard.type('5')
  const completion = page.locator('.cm-tooltip-autocomplete')
  await completion.waitFor({ timeout: 5_000 })
  assert.ok((await completion.textContent())?.includes('cpc_15m'), 'fact completion while typing')
  await page.screenshot({ path: artifact('4b-rule-completion.png') })
  await page.keyboard.press('Escape')
  await page.locator('[data-testid=rule-status]', { hasText: 'valid' }).waitFor({ timeout: 5_000 })
  assert.equal(await page.locator('[data-testid=rule-problems] li').count(), 0)
})

test('backtest the draft and see its chart', { timeout: 120_000 }, async () => {
  await page.getByRole('button', { name: 'Run backtest' }).click()
  await page.locator('[data-testid=backtest-chart]').waitFor({ timeout: 60_000 })
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=backtest-chart]')?.getAttribute('data-points')) > 0)
  await page.screenshot({ path: artifact('5-rule-backtest.png') })
})

test('save the rule as a new version', { timeout: 30_000 }, async () => {
  await page.getByRole('button', { name: 'Save as new version' }).click()
  const msg = page.locator('[data-testid=rule-message]')
  await msg.waitFor({ timeout: 10_000 })
  assert.match((await msg.textContent()) ?? '', /^Saved web-draft as version 1\.$/)
  await page.getByRole('list', { name: 'Versions' }).getByText('v1').waitFor({ timeout: 10_000 })
  await page.screenshot({ path: artifact('6-rule-saved.png') })
})

test('detectors view renders', { timeout: 30_000 }, async () => {
  await nav('Detectors').click()
  await page.getByRole('table', { name: 'Detector models' }).waitFor()
  await page.screenshot({ path: artifact('7-detectors.png') })
})

test('after a gateway restart the page reconnects by itself and live data flows again', { timeout: 240_000 }, async () => {
  await nav('Overview').click()
  await page.locator('[data-testid=chart-spend]').waitFor()
  await stack.stopGateway()
  await page.locator('[data-testid=connection-state][data-state=reconnecting]').waitFor({ timeout: 15_000 })
  await page.screenshot({ path: artifact('8-reconnecting.png') })
  await stack.startGateway()
  await page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 30_000 })
  const updates = Number(await page.locator('[data-testid=campaign-count]').getAttribute('data-updates'))
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=campaign-count]')?.getAttribute('data-updates')) > n, updates, { timeout: 30_000 })
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the page')
})
