import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parentPath, parseWithSourceMap } from './json-source-map.ts'
import { checkRuleText } from './rule-diagnostics.ts'

const VALID = `{
  "id": "high-cpc",
  "name": "CPC above $3",
  "level": "campaign",
  "severity": "warning",
  "conditions": { "all": [
    { "fact": "cpc_15m", "operator": "greaterThan", "value": 3 }
  ] }
}`

/** The text a diagnostic covers. */
function at(text: string, d: { from: number; to: number }): string {
  return text.slice(d.from, d.to)
}

test('a valid rule has no problems', () => {
  const r = checkRuleText(VALID)
  assert.equal(r.parsed, true)
  assert.deepEqual(r.diagnostics, [])
})

test('an unknown fact is reported at $.conditions.all[0].fact, on the fact\'s value, with suggestions', () => {
  const text = VALID.replace('"cpc_15m"', '"cpc_16m"')
  const [d, ...rest] = checkRuleText(text).diagnostics
  assert.equal(rest.length, 0)
  assert.equal(d!.path, '$.conditions.all[0].fact')
  assert.match(d!.message, /^unknown fact "cpc_16m"; did you mean cpc_1m, cpc_5m/)
  assert.equal(at(text, d!), '"cpc_16m"')
})

test('a wrong value type is placed on the value; an unknown field on its key; a missing field on its object', () => {
  const text = VALID.replace('"value": 3', '"value": "3"').replace('"severity": "warning",', '"severity": "warning", "colour": "red",')
  const ds = checkRuleText(text).diagnostics
  // The envelope is checked first (unknown field), so fix that and look at the condition.
  assert.deepEqual(ds.map((d) => d.path), ['$.colour'])
  assert.match(ds[0]!.message, /^unknown field "colour"; allowed here: id, name, level/)
  assert.equal(at(text, ds[0]!), '"colour"')

  const t2 = VALID.replace('"value": 3', '"value": "3"')
  const d2 = checkRuleText(t2).diagnostics
  assert.deepEqual(d2.map((d) => [d.path, d.message, at(t2, d)]), [['$.conditions.all[0].value', '"greaterThan" needs a number', '"3"']])

  const t3 = VALID.replace(', "value": 3', '')
  const d3 = checkRuleText(t3).diagnostics
  assert.equal(d3[0]!.path, '$.conditions.all[0].value')
  assert.equal(d3[0]!.message, 'is required')
  assert.equal(at(t3, d3[0]!), '{ "fact": "cpc_15m", "operator": "greaterThan" }', 'shown on the condition that lacks it')
})

test('enum and required errors of the envelope name their paths', () => {
  const text = VALID.replace('"warning"', '"loud"').replace('"name": "CPC above $3",\n', '')
  const ds = checkRuleText(text).diagnostics
  assert.deepEqual(ds.map((d) => d.path).sort(), ['$.name', '$.severity'])
  const sev = ds.find((d) => d.path === '$.severity')!
  assert.equal(sev.message, 'must be one of "critical", "error", "warning", "info"')
  assert.equal(at(text, sev), '"loud"')
  const name = ds.find((d) => d.path === '$.name')!
  assert.equal(name.message, 'is required')
  assert.equal(name.from, 0, 'on the root object')
})

test('JSON syntax errors say what and where', () => {
  const cases: Array<[string, RegExp, string]> = [
    ['{ "id": "x", }', /^trailing comma before "}"/, ','],
    ['{ "id": \'x\' }', /^expected a value, found "'"/, "'"],
    ['{ "id": "x" "name": "y" }', /^expected "," or "}" after a property, found """/, '"'],
    ['{ "id": "x"', /^expected "," or "}" after a property, found the end of the text/, ''],
    ['{ id: 1 }', /^expected a property name in double quotes, found "i"/, 'i'],
    ['{ "v": tru }', /^unexpected word "tru"/, 'tru'],
  ]
  for (const [text, message, covered] of cases) {
    const r = checkRuleText(text)
    assert.equal(r.parsed, false, text)
    assert.equal(r.diagnostics[0]!.path, 'syntax')
    assert.match(r.diagnostics[0]!.message, message, text)
    assert.equal(at(text, r.diagnostics[0]!), covered, text)
  }
})

test('the source map agrees with JSON.parse and records key spans', () => {
  const text = '{"a": [1, {"b": "x\\"y"}], "c": null}'
  const r = parseWithSourceMap(text)
  assert.ok(r.ok)
  assert.deepEqual(r.value, JSON.parse(text))
  const b = r.spans.get('$.a[1].b')!
  assert.equal(text.slice(b.from, b.to), '"x\\"y"')
  assert.equal(text.slice(b.keyFrom, b.keyTo), '"b"')
  assert.equal(parentPath('$.a[1].b'), '$.a[1]')
  assert.equal(parentPath('$.a[1]'), '$.a')
  assert.equal(parentPath('$.a'), '$')
  assert.equal(parentPath('$'), undefined)
})
