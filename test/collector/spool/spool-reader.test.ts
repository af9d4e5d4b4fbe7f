import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SpoolWriter } from '../../../collector/spool/spool-writer.ts'
import { listSegments, readSegment } from '../../../collector/spool/spool-reader.ts'
import { meta, subbuf } from './fixtures.ts'

function tmpdir (): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-spool-'))
}

test('a tail cut short by a crash is reported, and the whole sub-buffers before it are kept', () => {
  const dir = tmpdir()
  const w = new SpoolWriter(dir, { fsync: 'never', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 7, () => {})
  w.open(meta())
  w.append(0, subbuf(0, 1, 1, 3), 3)
  w.append(0, subbuf(0, 2, 4, 3), 6)
  w.close()
  const file = listSegments(dir)[0]!
  assert.match(path.basename(file), /^0000000007-0123456789abcdef\.krcap$/)
  fs.truncateSync(file, fs.statSync(file).size - 10)
  const seg = readSegment(file)
  assert.equal(seg.subbufs.length, 1)
  assert.ok(seg.tornBytes > 0)
})

test('a file that is not a capture is refused with its name', () => {
  const dir = tmpdir()
  const file = path.join(dir, '0000000001-0123456789abcdef.krcap')
  fs.writeFileSync(file, Buffer.alloc(100, 7))
  assert.throws(() => readSegment(file), new RegExp(`${file}: not a krelay capture`))
})
