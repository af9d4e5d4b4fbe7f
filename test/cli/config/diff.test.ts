// The fields that differ between two loads, with their values as TOML and whether they are live.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { changeLine, changes } from '../../../cli/config/diff.ts'
import { loadConfig } from '../../../cli/config/load.ts'

test('changed fields in the table\'s order, live or not, values as TOML', () => {
  const base = { out: '/x', host: 'h' }
  const a = loadConfig({ env: {}, flags: base }).config
  const b = loadConfig({ env: { KRELAY_LEVEL: 'err', KRELAY_SPOOL_FSYNC: 'always' }, flags: { ...base, out: '/y', fileSize: '64' } }).config
  assert.deepEqual(changes(a, a), [])
  const c = changes(a, b)
  assert.deepEqual(c.map(changeLine), [
    'level unset -> "err"',
    'archive.out "/x" -> "/y"',
    'archive.file_size_mib 128 -> 64',
    'spool.dir "/x/.spool" -> "/y/.spool"',
    'spool.fsync 1000 -> "always"',
  ])
  assert.deepEqual(c.map(x => x.field.live), [true, false, true, false, true])
})
