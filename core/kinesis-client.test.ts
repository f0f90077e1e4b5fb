import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createKinesisClient } from './kinesis-client.ts'

test('the Kinesis client has no SDK retries and no logger middleware copying every page', async () => {
  const client = createKinesisClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', streamName: 'adwatch-events', shardCount: 4 })
  try {
    assert.deepEqual(client.middlewareStack.identify().filter((name) => /logger/i.test(name)), [])
    assert.equal(await client.config.maxAttempts(), 1)
  } finally {
    client.destroy()
  }
})
