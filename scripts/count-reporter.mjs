// A node:test reporter that writes the pass/fail counts of leaf tests as JSON at the end,
// so scripts/run-tests.mjs can print one `N passed, N failed` line over all its runs.
export default async function* countReporter(source) {
  let passed = 0
  let failed = 0
  for await (const event of source) {
    if (event.type === 'test:pass' && event.data.details?.type !== 'suite' && !event.data.skip && !event.data.todo) passed++
    if (event.type === 'test:fail' && event.data.details?.type !== 'suite') failed++
  }
  yield JSON.stringify({ passed, failed })
}
