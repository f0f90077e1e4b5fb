import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { pidListeningOn, schedSample, schedShare } from './server-process.ts'

const listen = (server: Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))

test('pidListeningOn finds the process that listens on a loopback port, and nothing for a closed port', async () => {
  const server = createServer()
  const port = await listen(server)
  try {
    assert.equal(pidListeningOn(port), process.pid)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
  assert.equal(pidListeningOn(port), undefined)
})

test('schedSample counts the CPU time a busy thread spends', () => {
  const before = schedSample(process.pid)
  assert.ok(before !== undefined)
  const t0 = performance.now()
  let x = 0
  while (performance.now() - t0 < 200) x += Math.sqrt(x + 1)
  const after = schedSample(process.pid)
  const share = schedShare(before, after, (performance.now() - t0) / 1000)
  assert.ok(share !== undefined && x > 0)
  // One thread spun the whole time; other threads and a busy machine move this a little either way.
  assert.ok(share.busy > 0.3, `busy share ${share.busy}`)
  assert.ok(share.waiting >= 0)
  assert.equal(schedSample(2 ** 22 + 1), undefined)
})
