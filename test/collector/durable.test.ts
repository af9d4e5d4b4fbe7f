import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ensureDurableDir, fsyncPathSync, publishFile, replaceFileSync } from '../../collector/durable.ts'
import { listFiles, tempDir } from './archive/helpers.ts'

const t = tempDir()
after(t.cleanup)

describe('durable', () => {
  it('creates nested directories once, and refuses a path through a file', async () => {
    const known = new Set<string>()
    const d = join(t.dir, 'a', 'host=x', 'date=2025-01-01', 'hour=00')
    await ensureDurableDir(d, known)
    assert.ok(existsSync(d))
    assert.ok(known.has(d))
    await ensureDurableDir(d, known) // cached: no error, nothing to do
    writeFileSync(join(t.dir, 'file'), '')
    await assert.rejects(ensureDurableDir(join(t.dir, 'file', 'sub'), new Set()), { code: 'ENOTDIR' })
  })

  it('publishes a file by rename: the final name appears with the full content, the partial one goes', async () => {
    const d = join(t.dir, 'pub')
    mkdirSync(d)
    const tmp = join(d, '.x.parquet.partial')
    writeFileSync(tmp, 'content')
    await publishFile(tmp, join(d, 'x.parquet'))
    assert.deepEqual(listFiles(d), ['x.parquet'])
    assert.equal(readFileSync(join(d, 'x.parquet'), 'utf8'), 'content')
    await assert.rejects(publishFile(join(d, '.missing.partial'), join(d, 'y.parquet')), { code: 'ENOENT' })
    assert.deepEqual(listFiles(d), ['x.parquet'])
  })

  it('replaces a file synchronously by rename: the new content, no temporary file left', () => {
    const d = join(t.dir, 'replace')
    mkdirSync(d)
    const f = join(d, 'state.json')
    replaceFileSync(f, '{"a":1}')
    replaceFileSync(f, '{"a":2}')
    assert.equal(readFileSync(f, 'utf8'), '{"a":2}')
    assert.deepEqual(listFiles(d), ['state.json'])
    fsyncPathSync(f)
    fsyncPathSync(d, true)
    assert.throws(() => fsyncPathSync(join(d, 'missing'), true), { code: 'ENOENT' })
  })
})
