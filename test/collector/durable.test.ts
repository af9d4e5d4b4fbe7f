import assert from 'node:assert/strict'
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
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

  it('replaces a file without following a link planted at its temporary name: the link goes, its target is not written', () => {
    const d = join(t.dir, 'planted-tmp')
    mkdirSync(d)
    const target = join(t.dir, 'precious')
    writeFileSync(target, 'precious')
    symlinkSync(target, join(d, 'state.json.tmp'))
    replaceFileSync(join(d, 'state.json'), '{}')
    assert.equal(readFileSync(target, 'utf8'), 'precious')
    assert.equal(lstatSync(join(d, 'state.json')).isFile(), true)
    assert.equal(statSync(join(d, 'state.json')).mode & 0o7777, 0o640)
  })

  it('below the archive root: directories 0750 whatever the umask, a planted symlink refused naming it; the root itself may be a link', async () => {
    const old = process.umask(0)
    try {
      const real = join(t.dir, 'real-out')
      mkdirSync(real)
      const root = join(t.dir, 'out-link')
      symlinkSync(real, root) // the operator's own link
      const d = join(root, 'records', 'host=x', 'date=2025-01-01')
      await ensureDurableDir(d, new Set(), root)
      assert.equal(statSync(join(real, 'records')).mode & 0o7777, 0o750)
      assert.equal(statSync(join(real, 'records', 'host=x', 'date=2025-01-01')).mode & 0o7777, 0o750)
      const elsewhere = join(t.dir, 'elsewhere')
      mkdirSync(elsewhere)
      symlinkSync(elsewhere, join(real, 'records', 'host=x', 'date=2025-01-02'))
      await assert.rejects(ensureDurableDir(join(d, '..', 'date=2025-01-02', 'hour=00'), new Set(), root),
        { code: 'ELOOP', message: `${join(root, 'records', 'host=x', 'date=2025-01-02')} is a symlink: the collector does not follow links inside ${root}` })
      assert.deepEqual(listFiles(elsewhere), [], 'nothing was created through the link')
    } finally {
      process.umask(old)
    }
  })
})
