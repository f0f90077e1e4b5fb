import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv } from 'ajv'
import { toAccountDto, toCampaignDto, sortRows } from './entity-dto.ts'
import { accountSchema, campaignSchema } from './routes/schemas.ts'
import type { EntityView } from './deps.ts'

const day = { date: '2026-03-10', startMs: Date.parse('2026-03-10T00:00:00Z'), endMs: Date.parse('2026-03-11T00:00:00Z') }
const view = (id: string, spendToday: number): EntityView => ({
  id,
  account: 'a1',
  timeZone: 'UTC',
  day,
  windows: { '1m': [0, 0, 0, 0, 0], '5m': [0, 0, 0, 0, 0], '15m': [1, 1, 100, 0, 0], '1h': [1, 1, 100, 0, 0], today: [1, 1, spendToday, 0, 0] },
})

test('the DTOs match their JSON Schemas exactly (the schemas serialise and document them)', () => {
  const ajv = new Ajv({ strict: false })
  const strictly = (schema: object) => ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"required"', '"additionalProperties":false,"required"')))
  const campaign = toCampaignDto(view('c1', 500), { name: 'n', dailyBudgetMicros: 1000 }, day.startMs + 3_600_000)
  assert.ok(strictly(campaignSchema)(campaign), JSON.stringify(ajv.errors))
  assert.ok(strictly(campaignSchema)(toCampaignDto(view('c2', 0), undefined, day.startMs)), 'nulls where nothing is set')
  assert.ok(strictly(accountSchema)(toAccountDto(view('a1', 1), { name: 'A' })), JSON.stringify(ajv.errors))
})

test('rows sort by the key with nulls last either way and ties by id', () => {
  const rows = [toCampaignDto(view('b', 5), undefined, day.startMs), toCampaignDto(view('a', 5), { dailyBudgetMicros: 10 }, day.startMs + 1000), toCampaignDto(view('c', 9), undefined, day.startMs)]
  assert.deepEqual(sortRows([...rows], 'spendToday', 'desc').map((r) => r.id), ['c', 'a', 'b'])
  assert.deepEqual(sortRows([...rows], 'spendToday', 'asc').map((r) => r.id), ['a', 'b', 'c'])
  assert.deepEqual(sortRows([...rows], 'pacing', 'asc').map((r) => r.id), ['a', 'b', 'c'], 'only a has pacing; the others follow by id')
})
