import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import {
  checkHost, fileBaseName, finalName, isPartialName, partialName, partitionDir, removePartialFiles,
} from '../../../collector/archive/paths.ts'
import { listFiles, tempDir } from './helpers.ts'

const t = tempDir()
after(t.cleanup)

describe('paths', () => {
  it('accepts host names that are one safe path component, refuses the rest', () => {
    for (const h of ['node-1', 'web01.example.com', 'A_b', '1host']) assert.equal(checkHost(h), h)
    for (const h of ['', '.', '..', '.hidden', 'a/b', 'a=b', 'a b', 'ü', '-x', 'x'.repeat(254)]) {
      assert.throws(() => checkHost(h), RangeError, h)
    }
  })

  it('builds hive partition directories from an hour index', () => {
    assert.equal(partitionDir('/out', 'records', 'h1', 490009), '/out/records/host=h1/date=2025-11-25/hour=01')
    assert.equal(partitionDir('/out', 'losses', 'h1', 0), '/out/losses/host=h1/date=1970-01-01/hour=00')
  })

  it('makes unique names that sort by time, and partial names no *.parquet glob matches', () => {
    const a = fileBaseName('20251125T010000.123456789')
    const b = fileBaseName('20251125T010000.123456789')
    const c = fileBaseName('20251125T010000.123456790')
    assert.notEqual(a, b)
    assert.match(a, /^20251125T010000\.123456789-[0-9a-f]{8}$/)
    assert.ok(a < c && b < c)
    assert.equal(finalName(a), `${a}.parquet`)
    const p = partialName(a)
    assert.equal(p, `.${a}.parquet.partial`)
    assert.ok(!p.endsWith('.parquet'))
    assert.ok(p.startsWith('.'))
    assert.equal(isPartialName(p), true)
    assert.equal(isPartialName(finalName(a)), false)
    assert.throws(() => fileBaseName('2025-11-25'), RangeError)
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
