import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { FACTS } from './fact-catalogue.ts'
import { OPERATORS } from './rule-model.ts'
import { RULE_SCHEMA } from './rule-schema.ts'

const doc = readFileSync(new URL('../docs/rules.md', import.meta.url), 'utf8')

/** The fact table of docs/rules.md, generated from FACTS. */
function factTable(): string {
  const rows = [...FACTS.values()].map((f) => `| \`${f.name}\` | ${f.type} | ${f.description.replaceAll('|', '\\|')} |`)
  return ['| fact | type | meaning |', '| --- | --- | --- |', ...rows].join('\n')
}

test('every fact of the catalogue is documented in docs/rules.md', () => {
  const missing = [...FACTS.keys()].filter((name) => !doc.includes(`\`${name}\``))
  assert.deepEqual(missing, [])
})

test('the fact table in docs/rules.md is the one generated from FACTS', () => {
  const section = /<!-- facts:begin -->\n([\s\S]*?)\n<!-- facts:end -->/.exec(doc)?.[1]
  assert.ok(section !== undefined, 'docs/rules.md lacks the <!-- facts:begin --> … <!-- facts:end --> markers')
  assert.equal(section, factTable(), `docs/rules.md's fact table is stale; replace it with:\n\n${factTable()}\n`)
})

test('every rule field and every operator is documented', () => {
  const fields = Object.keys(RULE_SCHEMA.properties)
  // A row per field; `annotations` is documented by its two members (`annotations.summary`, …).
  const documented = (f: string) => doc.includes(`| \`${f}\` |`) || doc.includes(`| \`${f}.`)
  assert.deepEqual(fields.filter((f) => !documented(f)), [], 'fields without a row in the Fields table')
  assert.deepEqual(OPERATORS.filter((op) => !doc.includes(`\`${op}\``)), [], 'operators not in the Operators table')
})
