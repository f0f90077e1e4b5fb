import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeLevelModels, encodeLevelModels } from './model-codec.ts'
import { busyCampaign, steadyHistory } from './testing/steady-minutes.ts'
import { LevelTrainer, DEFAULT_TRAINING } from './training.ts'

const START = Date.UTC(2026, 0, 5)

function trainedLevel() {
  const trainer = new LevelTrainer('acme', 'campaign', START, START + 2 * 86_400_000, { ...DEFAULT_TRAINING, trees: 40, campaignMinDays: 2, levelSampleRows: 3_000 })
  trainer.add(steadyHistory('cmp_1', busyCampaign(1, START, 2 * 1440)))
  trainer.add(steadyHistory('cmp_2', { ...busyCampaign(2, START + 86_400_000, 1440), impressionsPerMin: 300 }))
  return trainer.finish(START + 2 * 86_400_000)
}

test('a version encodes to a manifest and rows and decodes to the same models', () => {
  const m = trainedLevel()
  assert.equal(m.baselines.size, 2)
  assert.equal(m.campaignForests.size, 1, 'only cmp_1 has 2 days of history')
  const { manifest, rows } = encodeLevelModels(m)
  assert.deepEqual({ entities: manifest.entities, campaignForests: manifest.campaignForests, levelForest: manifest.levelForest }, { entities: 2, campaignForests: 1, levelForest: true })
  const back = decodeLevelModels(manifest, JSON.parse(JSON.stringify(rows)))
  assert.equal(back.version, m.version)
  assert.equal(JSON.stringify(back.baselines.get('cmp_2')), JSON.stringify(m.baselines.get('cmp_2')))
  const row = new Float64Array([1, -2, 0.5, 0, 3, 0, 0])
  assert.equal(back.levelForest?.forest.score(row), m.levelForest?.forest.score(row))
  assert.deepEqual(back.campaignForests.get('cmp_1')?.quantiles, m.campaignForests.get('cmp_1')?.quantiles)
})

test('a partly written version (rows missing) or a corrupt payload is refused', () => {
  const { manifest, rows } = encodeLevelModels(trainedLevel())
  assert.throws(() => decodeLevelModels(manifest, rows.slice(1)), { code: 'ADW_DETECT_MODEL', message: /incomplete/ })
  assert.throws(() => decodeLevelModels(manifest, [{ ...rows[0]!, payload: '{"format":' }, ...rows.slice(1)]), { code: 'ADW_DETECT_MODEL' })
})
