// packaging/krelay.toml, the commented example installed as /etc/krelay/krelay.toml, cannot
// drift from the field table: it loads, every value in it is the field's default (but
// archive.out, which has none), and every field of the table is in it, set or commented out.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { FIELDS } from '../../cli/config/fields.ts'
import { loadConfig } from '../../cli/config/load.ts'
import { flatValues } from '../../cli/config/show.ts'
import { krelay } from '../cli/run.ts'

const EXAMPLE = fileURLToPath(new URL('../../packaging/krelay.toml', import.meta.url))

test('the example loads, and holds the defaults', () => {
  const loaded = loadConfig({ file: EXAMPLE, env: {}, flags: {} })
  const values = flatValues(loaded)
  const computed: Record<string, unknown> = { 'archive.out': '/var/lib/krelay', 'spool.dir': '/var/lib/krelay/.spool', host: os.hostname() }
  for (const field of FIELDS) {
    const expected = field.path in computed ? computed[field.path] : field.default
    assert.deepEqual(values.get(field.path), expected, `${field.path} in ${EXAMPLE}`)
  }
  // what it sets comes from the file; what has no default value is left to its default
  for (const field of FIELDS) {
    assert.equal(loaded.origins[field.path], field.default !== undefined || field.path === 'archive.out' ? 'file' : 'default', field.path)
  }
})

test('every field of the table is in the example, in its table, set or commented out', () => {
  const text = fs.readFileSync(EXAMPLE, 'utf8')
  let section = ''
  const seen = new Set<string>()
  for (const line of text.split('\n')) {
    const table = /^\[([a-z_]+)\]$/.exec(line)
    if (table !== null) section = table[1]!
    const key = /^(?:# )?([a-z_]+) = /.exec(line)
    if (key !== null) seen.add(section === '' ? key[1]! : `${section}.${key[1]!}`)
  }
  for (const field of FIELDS) assert.ok(seen.has(field.path), `${field.path} is in ${EXAMPLE}`)
  assert.deepEqual([...seen].filter(p => !FIELDS.some(f => f.path === p)), [], 'no key the table does not have')
  // each field's paragraph (its comment and its line) says [live] exactly when SIGHUP changes it
  let table = ''
  for (const paragraph of text.split('\n\n')) {
    const header = /^\[([a-z_]+)\]\n/.exec(paragraph)
    if (header !== null) table = header[1]!
    const body = paragraph.slice(header?.[0].length ?? 0)
    const key = /^(?:# )?([a-z_]+) = /m.exec(body)
    if (key === null) continue
    const field = FIELDS.find(f => f.path === (table === '' ? key[1] : `${table}.${key[1]!}`))
    assert.ok(field !== undefined, `${table}.${key[1]!}`)
    assert.equal(body.includes('[live]'), field.live, `${field.path}: [live] marked as in the table:\n${body}`)
  }
})

test('krelay config check accepts it', () => {
  const r = krelay(['config', 'check', EXAMPLE])
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`^${EXAMPLE}: ok\n`))
})
