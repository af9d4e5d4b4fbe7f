// The file's schema: strict tables, values read by each field's rule from their TOML type,
// and the hint for an unknown key.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { describeIssue, fileSchema, nearestKey } from '../../../cli/config/schema.ts'

const problem = (doc: unknown): string => {
  const r = fileSchema.safeParse(doc)
  assert.equal(r.success, false)
  return describeIssue(r.error!.issues[0]!, doc)
}

test('values are read from their TOML type: numbers as numbers, the mode and the address as strings', () => {
  const r = fileSchema.parse({ level: 'debug', archive: { file_mode: '600', file_size_mib: 0.5 }, spool: { fsync: 'never' }, metrics: { listen: 'localhost:0' } })
  assert.deepEqual(r, { level: 7, archive: { file_mode: 0o600, file_size_mib: 0.5 }, spool: { fsync: 'never' }, metrics: { listen: { host: 'localhost', port: 0 } } })
  assert.equal(problem({ archive: { file_mode: 0o640 } }), 'archive.file_mode: 416 is not allowed: an octal mode such as 0640 or 0600, with no x bits and nothing for others')
  assert.equal(problem({ spool: { fsync: 1.5 } }), 'spool.fsync: 1.5 is not allowed: always, never or a number of milliseconds')
  assert.equal(problem({ archive: { file_age_seconds: Infinity } }), 'archive.file_age_seconds: null is not allowed: a positive number of seconds, at most 86400')
  assert.equal(problem({ spool: 'x' }), 'spool: "x" is not allowed: a table ([spool])')
})

test('an unknown key is named, with a hint: the same key in another table, a key cut short, the nearest spelling', () => {
  assert.equal(problem({ archive: { budget_mib: 1 } }), 'archive.budget_mib: unknown key; did you mean spool.budget_mib?')
  assert.equal(problem({ live: { queue: 1 } }), 'live.queue: unknown key; did you mean live.queue_mib?')
  assert.equal(problem({ chanel: '/x' }), 'chanel: unknown key; did you mean channel?')
  assert.equal(problem({ metric: {} }), 'metric: unknown key; did you mean metrics?')
  assert.equal(nearestKey('completely.different'), undefined)
})
