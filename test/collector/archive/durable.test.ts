import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { ensureDurableDir, publishFile, removePartialFiles } from '../../../collector/archive/durable.ts'
import { listFiles, tempDir } from './helpers.ts'

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

  it('removes leftover partial files and nothing else', async () => {
    const d = join(t.dir, 'left')
    mkdirSync(join(d, 'records', 'host=h'), { recursive: true })
    writeFileSync(join(d, 'records', 'host=h', '.a.parquet.partial'), '')
    writeFileSync(join(d, 'records', 'host=h', 'a.parquet'), '')
    writeFileSync(join(d, 'records', 'host=h', '.keep'), '')
    const removed = await removePartialFiles(d)
    assert.deepEqual(removed, [join(d, 'records', 'host=h', '.a.parquet.partial')])
    assert.deepEqual(listFiles(d), ['records/host=h/.keep', 'records/host=h/a.parquet'])
    assert.deepEqual(await removePartialFiles(join(d, 'nope')), [])
  })
})
