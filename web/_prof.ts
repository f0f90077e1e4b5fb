import { writeFileSync } from 'node:fs'
import { launchChromium } from './testing/browser.ts'
import { startDashboardStack } from './testing/dashboard-stack.ts'
const stack = await startDashboardStack({ name: 'webprof', campaigns: 5000, ratePerSec: 2000, env: { ADW_POLL_IDLE_MS: '50' } })
const browser = await launchChromium()
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
await page.goto(`${stack.url}/#token=${encodeURIComponent(stack.token)}`)
await page.waitForFunction(() => Number(document.querySelector('[data-testid=campaign-count]')?.getAttribute('data-count')) >= 4000, null, { timeout: 180_000, polling: 1000 })
await page.waitForTimeout(5000)
const cdp = await page.context().newCDPSession(page)
await page.evaluate(() => {
  const w = window as unknown as { __lt: Array<[number, number]> }
  w.__lt = []
  new PerformanceObserver((l) => { for (const e of l.getEntries()) w.__lt.push([Math.round(e.startTime), Math.round(e.duration)]) }).observe({ type: 'longtask' })
})
const t0 = await page.evaluate(() => performance.now())
const events: Array<{ name: string; ph: string; ts: number; dur?: number; tid: number; pid: number; args?: any }> = []
cdp.on('Tracing.dataCollected', (d: { value: typeof events }) => { events.push(...d.value) })
const traceDone = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()))
await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' })
await page.locator('[data-testid=campaign-rows]').hover().catch(() => undefined)
const s0 = Date.now()
while (Date.now() - s0 < 10000) { await page.mouse.wheel(0, 1400); await page.waitForTimeout(500) }
await cdp.send('Tracing.end')
await traceDone
// Long top-level tasks of the renderer main thread and what their time went to.
const tops = events.filter((e) => e.ph === 'X' && (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && (e.dur ?? 0) > 50_000)
for (const top of tops) {
  const inside = events.filter((e) => e.ph === 'X' && e.tid === top.tid && e.pid === top.pid && e.ts >= top.ts && e.ts + (e.dur ?? 0) <= top.ts + top.dur! && e !== top)
  const by = new Map<string, number>()
  for (const e of inside) by.set(e.name, (by.get(e.name) ?? 0) + (e.dur ?? 0))
  if (by.size === 0) continue
  const lay = inside.filter((e) => e.name === 'Layout' && (e.dur ?? 0) > 5000).map((e) => `${Math.round(e.dur! / 1000)}ms dirty=${e.args?.beginData?.dirtyObjects}/${e.args?.beginData?.totalObjects} root=${JSON.stringify(e.args?.endData?.layoutRoots?.[0]?.nodeId ?? '')}`)
  const ult = inside.filter((e) => e.name === 'UpdateLayoutTree' && (e.dur ?? 0) > 3000).map((e) => `${Math.round(e.dur! / 1000)}ms elements=${e.args?.elementCount}`)
  console.log('   ', lay.join('; '), '|', ult.join('; '))
  console.log(`task ${Math.round(top.dur! / 1000)} ms:`, [...by].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${Math.round(v / 1000)}`).join(', '))
}
process.exit(0)
const { profile } = await cdp.send('Profiler.stop')
const lt = await page.evaluate(() => (window as unknown as { __lt: Array<[number, number]> }).__lt)
console.log('longtasks (start rel ms, dur):', JSON.stringify(lt.map(([s, d]) => [s - Math.round(t0), d])))
writeFileSync('/tmp/web-prof.json', JSON.stringify(profile))
// self time per function, and per long task window: the top functions in each
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const dt = profile.timeDeltas ?? []
let t = profile.startTime
const samples = (profile.samples ?? []).map((id, i) => { t += dt[i] ?? 0; return { id, t } })
const total = new Map<string, number>()
const name = (id: number) => { const n = byId.get(id)!; return `${n.callFrame.functionName || '(anon)'}:${n.callFrame.lineNumber}` }
samples.forEach((s, i) => { const k = name(s.id); total.set(k, (total.get(k) ?? 0) + (dt[i] ?? 0)) })
console.log('self:', [...total].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${(v / 1000).toFixed(0)}ms ${k}`).join(' | '))
// inclusive: for each sample, walk up stack
const incl = new Map<string, number>()
samples.forEach((s, i) => { const seen = new Set<string>(); let id: number | undefined = s.id; while (id !== undefined) { const k = name(id); if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + (dt[i] ?? 0)) } id = parent.get(id) } })
console.log('inclusive:', [...incl].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, v]) => `${(v / 1000).toFixed(0)}ms ${k}`).join(' | '))
await browser.close()
await stack.close()
process.exit(0)
