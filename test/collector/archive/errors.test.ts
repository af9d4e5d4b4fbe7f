import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ArchiveWriteError, StagingFullError } from '../../../collector/archive/errors.ts'

describe('errors', () => {
  it('ArchiveWriteError names the path and finds the errno in Node and DuckDB errors', () => {
    const node = Object.assign(new Error('EACCES: permission denied, mkdir'), { code: 'EACCES' })
    const e1 = new ArchiveWriteError('/out/records/x.parquet', node, [])
    assert.equal(e1.message, 'archive: cannot write /out/records/x.parquet: EACCES: permission denied, mkdir')
    assert.equal(e1.code, 'EACCES')
    assert.equal(e1.cause, node)
    const duck = new Error('IO Error: Could not write file "/out/.x.parquet.partial": No space left on device')
    assert.equal(new ArchiveWriteError('/out/x.parquet', duck, []).code, 'ENOSPC')
    assert.equal(new ArchiveWriteError('/p', new Error('something else'), []).code, undefined)
  })

  it('StagingFullError says how much is staged', () => {
    const e = new StagingFullError(1000, 900)
    assert.equal(e.stagedBytes, 1000)
    assert.match(e.message, /1000 bytes are staged.*limit 900/)
  })
})
