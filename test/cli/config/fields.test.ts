// Every field of the table given a value of the wrong type and one out of range, in the
// configuration file, in its KRELAY_* variable and as its flag, to `krelay collect` as a
// user runs it: exit 2, one message naming where (file, variable, flag), the field, the
// value and what is allowed, and nothing created (no archive, no spool, no socket).
// The cases are made from the field table (cli/config/fields.ts), so a new field is covered.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { parse as parseToml } from 'smol-toml'
import { FIELDS, flagKey, isSwitch, splitPath, valueText, type Field } from '../../../cli/config/fields.ts'
import { typedValue } from '../../../cli/options.ts'
import { krelay } from '../run.ts'
import { tempDir } from '../../temp-dir.ts'

type Kind = 'boolean' | 'number' | 'string'

/** What TOML type a field takes, asked of its rule. */
function kindOf (field: Field): Kind {
  if (typedValue(field.rule, true) !== undefined) return 'boolean'
  if (typedValue(field.rule, 1) !== undefined || typedValue(field.rule, 1000) !== undefined) return 'number'
  return 'string'
}

interface Bad { what: 'wrong type' | 'out of range', file: unknown, text: string }

// strings each refused by some rule: a port past 65535, a mode with x bits, a space, blanks
const BAD_STRINGS = ['h:65536', '0777', 'a b', '  ']

/** A wrong-typed and an out-of-range value of the field, for the file (TOML) and as text (variable, flag). */
function badValues (field: Field): Bad[] {
  switch (kindOf(field)) {
    case 'boolean': return [
      { what: 'wrong type', file: 'true', text: 'maybe' },
      { what: 'out of range', file: 2, text: '2' },
    ]
    case 'number': return [
      { what: 'wrong type', file: '64', text: 'ten' },
      { what: 'out of range', file: -1, text: '-1' },
      { what: 'out of range', file: 99_999_999_999_999, text: '99999999999999' },
    ]
    case 'string': {
      const refused = BAD_STRINGS.find(s => field.rule.parse(s) === undefined)
      assert.ok(refused !== undefined, `${field.path}: one of ${BAD_STRINGS.join(' | ')} is refused`)
      return [
        { what: 'wrong type', file: 5, text: '' },
        { what: 'wrong type', file: true, text: '' },
        { what: 'out of range', file: refused, text: refused },
      ]
    }
  }
}

const tomlValue = (v: unknown): string => typeof v === 'string' ? JSON.stringify(v) : String(v)

/** A TOML file setting only `field` to `v`. */
function fileWith (field: Field, v: unknown): string {
  const [section, key] = splitPath(field.path)
  return `${section === '' ? '' : `[${section}]\n`}${key} = ${tomlValue(v)}\n`
}

const dir = tempDir('krelay-config-fields-')
const out = path.join(dir, 'out')
const spool = path.join(dir, 'spool')
const socket = path.join(dir, 'live.sock')
const config = path.join(dir, 'krelay.toml')
const BASE: Record<string, string> = { channel: path.join(dir, 'no-channel'), out, spool, liveSocket: socket, host: 'h' }

/** collect's flags valid but for `skip`, whose flag the case gives itself. */
function baseFlags (skip?: Field): string[] {
  return FIELDS.filter(f => f !== skip && BASE[flagKey(f)] !== undefined).flatMap(f => [f.flag, BASE[flagKey(f)]!])
}

function assertRefused (r: ReturnType<typeof krelay>, what: string, parts: string[]): void {
  assert.equal(r.status, 2, `${what}: exit 2; stderr: ${r.stderr}`)
  assert.equal(r.stdout, '', `${what}: nothing on stdout`)
  assert.ok(r.stderr.startsWith('krelay collect: '), `${what}: ${r.stderr}`)
  for (const p of parts) assert.ok(r.stderr.includes(p), `${what}: the message names ${p}: ${r.stderr}`)
  for (const made of [out, spool, socket]) assert.ok(!fs.existsSync(made), `${what}: created ${made}`)
}

const cases = FIELDS.flatMap(field => badValues(field).map(bad => ({ field, bad })))

test(`${FIELDS.length} fields, ${cases.length} bad values each in the file: exit 2 naming the file, the field, the value and what is allowed`, () => {
  for (const { field, bad } of cases) {
    fs.writeFileSync(config, fileWith(field, bad.file))
    const r = krelay(['collect', '--config', config, ...baseFlags()])
    assertRefused(r, `${field.path} = ${tomlValue(bad.file)} (${bad.what})`, [`${config}: ${field.path}: ${JSON.stringify(bad.file)} is not allowed: ${field.rule.allowed}`])
  }
})

test('the same bad values in the KRELAY_* variables: exit 2 naming the variable, the field, the value and what is allowed', () => {
  for (const { field, bad } of cases) {
    const r = krelay(['collect', ...baseFlags()], { [field.env]: bad.text })
    assertRefused(r, `${field.env}=${bad.text} (${bad.what})`, [`${field.env}: ${field.path}: ${JSON.stringify(bad.text)} is not allowed: ${field.rule.allowed}`])
  }
})

test('the same bad values as flags: exit 2 naming the flag, the value and what is allowed (a switch refuses any value)', () => {
  for (const { field, bad } of cases) {
    const args = isSwitch(field) ? [`${field.flag}=${bad.text}`] : [field.flag, bad.text]
    const r = krelay(['collect', ...baseFlags(field), ...args])
    const parts = isSwitch(field) ? [`'${field.flag}=${bad.text}'`] : [`${field.flag} must be ${field.rule.allowed}, got ${JSON.stringify(bad.text)}`]
    assertRefused(r, `${args.join(' ')} (${bad.what})`, parts)
  }
})

test('the table: one flag, variable and key per field; variables named after the key', () => {
  for (const field of FIELDS) {
    assert.equal(field.env, `KRELAY_${field.path.toUpperCase().replace('.', '_')}`, field.path)
    assert.ok(field.default !== undefined || field.none !== undefined, `${field.path}: a default or what applies without one`)
    // the default, written as TOML (config show, the example file) and read back, is itself
    if (field.default !== undefined) assert.deepEqual(typedValue(field.rule, parseToml(`x = ${valueText(field, field.default)}`).x), field.default, field.path)
  }
  for (const key of ['path', 'flag', 'env'] as const) assert.equal(new Set(FIELDS.map(f => f[key])).size, FIELDS.length, `${key}s are unique`)
})

test('cli/README.md lists every field with its flag, variable and whether it is live', () => {
  const readme = fs.readFileSync(new URL('../../../cli/README.md', import.meta.url), 'utf8')
  for (const field of FIELDS) {
    const row = readme.split('\n').find(l => l.startsWith(`| \`${field.path}\` |`))
    assert.ok(row !== undefined, `${field.path} has a row`)
    const cells = row.split(/(?<!\\)\|/).map(c => c.trim())
    assert.ok(cells[2]!.startsWith(`\`${field.flag}`), `${field.path}: ${field.flag} in ${row}`)
    assert.equal(cells[3], `\`${field.env}\``, row)
    assert.equal(cells[5]!.startsWith('yes'), field.live, `${field.path} live: ${row}`)
  }
})
