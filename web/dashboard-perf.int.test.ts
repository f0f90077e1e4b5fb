import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { buildWeb } from './build.ts'
import { artifact, launchChromium } from './testing/browser.ts'
import { startDashboardStack, type DashboardStack } from './testing/dashboard-stack.ts'
import { servicePids, setNice } from './testing/priority.ts'

/**
 * The overview with 5,000 campaigns streaming, in Debian's Chromium on the real stack: the
 * longest main-thread task (PerformanceObserver "longtask") during 10 s of updates while the
 * table is scrolled (400 px four times a second), and the JS heap after a forced GC, sampled
 * every 5 s for 60 s: the rise of its floor (the lowest sample of the last 20 s against the
 * lowest of the first 20 s) must project to less than 8 MiB over 5 minutes. A leak raises
 * every sample; data in flight when a sample is taken (a listing refresh, a burst of updates:
 * runs showed samples up to 1.4 MiB above the floor) raises some, which a least-squares slope
 * over 60 s can read as growth. (A 60 s window keeps the test bounded.)
 *
 * The whole backend shares this machine's two cores with the browser here, which a user's
 * browser never does: a trace of a 124 ms "long task" showed 16 ms of renderer CPU, the rest
 * waiting for a core. So the servers, the stack's processes and this test process (the
 * producer) run at nice 10 while Chromium keeps nice 0, and the budget measures the page's own
 * work rather than the scheduler's.
 */

const CAMPAIGNS = 5_000
const LONG_TASK_BUDGET_MS = 100
const MEASURE_MS = 10_000
const MEMORY_WINDOW_MS = 60_000
const MEMORY_EVERY_MS = 5_000
const MAX_GROWTH_5MIN_BYTES = 8 * 1024 * 1024
/** The nice value of everything but Chromium during the measurement (see above). */
const BACKEND_NICE = 10

let stack: DashboardStack
let browser: Browser
let page: Page
const pageLog: string[] = []
let backendPids: number[] = []

before(async () => {
  if (!existsSync(new URL('./dist/index.html', import.meta.url))) await buildWeb()
  stack = await startDashboardStack({ name: 'webperf', campaigns: CAMPAIGNS, ratePerSec: 2_000, env: { ADW_POLL_IDLE_MS: '50' } })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('console', (m) => m.type() !== 'log' && pageLog.push(`${m.type()}: ${m.text()}`))
  page.on('pageerror', (e) => pageLog.push(`pageerror: ${e.message}`))
  page.on('crash', () => pageLog.push('the page crashed'))
  // After Chromium started (its processes keep nice 0): this process, the stack's, the servers'.
  backendPids = [process.pid, ...stack.serverPids(), ...servicePids()]
  const failed = setNice(backendPids, BACKEND_NICE)
  if (failed.length > 0) console.log(`could not lower the priority of ${failed.length} backend threads: ${failed.slice(0, 5).join('; ')}`)
})

after(async () => {
  // The servers outlive this file: back to nice 0 (raising priority needs root, as in CI).
  const failed = setNice([process.pid, ...servicePids()], 0)
  if (failed.length > 0) console.log(`could not restore the priority of ${failed.length} server threads: ${failed.slice(0, 5).join('; ')}`)
  await browser?.close()
  await stack?.close()
})

function dataset(): Promise<{ count: number; live: number; updates: number }> {
  return page.locator('[data-testid=campaign-count]').evaluate((e) => {
    const d = (e as HTMLElement).dataset
    return { count: Number(d.count), live: Number(d.live), updates: Number(d.updates) }
  })
}

/** Least-squares slope of y over x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my)
    den += (xs[i]! - mx) ** 2
  }
  return num / den
}

test(`with ${CAMPAIGNS} campaigns streaming the page stays responsive and its memory flat`, { timeout: 400_000 }, async (t) => {
  t.after(async () => {
    if (pageLog.length > 0) console.log(`page log (last 20):\n${pageLog.slice(-20).join('\n')}`)
    await page.screenshot({ path: artifact('perf-last.png') }).catch(() => undefined)
  })
  // Campaigns are listed once they had an event, and the producer's skewed traffic reaches the
  // last ones only after minutes: one impression each now, so all 5,000 are there from the
  // start and the heap is measured on a steady table (not one still growing by new campaigns).
  const seedAt = Date.now()
  await stack.put(stack.catalogue.campaigns.map((c, i) => ({ id: `seed-${seedAt.toString(36)}-${i}`, ts: seedAt, tenant: c.tenant, platform: c.platform, account: c.account, campaign: c.id, type: 'impression' as const, impressions: 1 })))
  await page.goto(`${stack.url}/#token=${encodeURIComponent(stack.token)}`)
  await page.locator('[data-testid=connection-state][data-state=live]').waitFor({ timeout: 20_000 })
  // Wait for every campaign, and for the socket to watch them all.
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=campaign-count]')?.getAttribute('data-count')) >= n, CAMPAIGNS, { timeout: 180_000, polling: 1000 })
  await page.waitForFunction(() => {
    const d = (document.querySelector('[data-testid=campaign-count]') as HTMLElement).dataset
    return Number(d.live) >= Number(d.count)
  }, null, { timeout: 60_000, polling: 500 })
  await page.waitForTimeout(3_000) // the initial subscribe answers settle

  // 1. Longest main-thread task during 10 s of updates, scrolling the table meanwhile.
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[] }
    w.__longTasks = []
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration)
    }).observe({ type: 'longtask' })
  })
  const before = await dataset()
  const rows = page.locator('[data-testid=campaign-rows]')
  await rows.hover()
  const t0 = Date.now()
  // A fast reader's scroll: 400 px (12 rows) four times a second, down then back up.
  for (let step = 0; Date.now() - t0 < MEASURE_MS; step++) {
    await page.mouse.wheel(0, step % 40 < 20 ? 400 : -400)
    await page.waitForTimeout(250)
  }
  const afterMeasure = await dataset()
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks)
  // The Long Tasks API reports tasks of 50 ms or more only: none means every task was shorter.
  const longest = Math.max(0, ...longTasks)
  const longestText = longTasks.length === 0 ? 'every task < 50 ms' : `longest ${Math.round(longest)} ms`
  const updatesPerSec = ((afterMeasure.updates - before.updates) * 1000) / MEASURE_MS
  console.log(
    `${afterMeasure.count} campaigns, ${afterMeasure.live} entities live; ${Math.round(updatesPerSec)} window updates/s applied; ` +
      `tasks over 50 ms: ${longTasks.length} [${longTasks.map((d) => Math.round(d)).join(', ')}]; ${longestText} (budget ${LONG_TASK_BUDGET_MS} ms)`,
  )
  await page.screenshot({ path: artifact('perf-5000-campaigns.png') })
  assert.ok(updatesPerSec > 100, `the page was receiving updates (${updatesPerSec}/s)`)
  assert.ok(longest <= LONG_TASK_BUDGET_MS, `longest main-thread task ${Math.round(longest)} ms (budget ${LONG_TASK_BUDGET_MS} ms)`)

  // 2. JS heap after GC every 5 s for 60 s while updates stream; the trend must be flat.
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  const xs: number[] = []
  const ys: number[] = []
  const m0 = Date.now()
  while (Date.now() - m0 <= MEMORY_WINDOW_MS) {
    await cdp.send('HeapProfiler.collectGarbage')
    const { metrics } = await cdp.send('Performance.getMetrics')
    const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')!.value
    xs.push((Date.now() - m0) / 60_000)
    ys.push(heap)
    await page.waitForTimeout(MEMORY_EVERY_MS)
  }
  const third = MEMORY_WINDOW_MS / 3 / 60_000
  const floorFirst = Math.min(...ys.filter((_, i) => xs[i]! < third))
  const floorLast = Math.min(...ys.filter((_, i) => xs[i]! >= 2 * third))
  // The thirds' centres are two thirds of the window apart.
  const floorPerMin = (floorLast - floorFirst) / (2 * third)
  const mib = (b: number) => (b / 1024 / 1024).toFixed(1)
  console.log(
    `JS heap after GC: ${ys.map(mib).join(', ')} MiB; floor ${mib(floorFirst)} → ${mib(floorLast)} MiB ⇒ ${mib(floorPerMin * 5)} MiB over 5 min (limit ${mib(MAX_GROWTH_5MIN_BYTES)}); ` +
      `least-squares slope ${(slope(xs, ys) / 1024).toFixed(0)} KiB/min`,
  )
  assert.ok(floorPerMin * 5 < MAX_GROWTH_5MIN_BYTES, `the heap's floor grows ${mib(floorPerMin)} MiB/min`)
})
