import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { SpoolWriter } from '../../../collector/spool/spool-writer.ts'
import { listSegments, readSegment } from '../../../collector/spool/spool-reader.ts'
import { CAPTURE_HDR } from '../../../formats/capture.ts'
import { meta, subbuf } from './fixtures.ts'
import { tempDir } from '../../temp-dir.ts'

function tmpdir (): string {
  return tempDir('krelay-spool-')
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
  const seg = readSegment(file)!
  assert.equal(seg.subbufs.length, 1)
  assert.ok(seg.tornBytes > 0)
})

test('a file that is not a capture is refused with its name', () => {
  const dir = tmpdir()
  const file = path.join(dir, '0000000001-0123456789abcdef.krcap')
  fs.writeFileSync(file, Buffer.alloc(100, 7))
  assert.throws(() => readSegment(file), new RegExp(`${file}: not a krelay capture`))
})

test('a segment whose header a crash cut short reads as null: empty, a few bytes, most of the header', () => {
  const dir = tmpdir()
  const w = new SpoolWriter(dir, { fsync: 'never', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 1, () => {})
  w.open(meta())
  w.append(0, subbuf(0, 1, 1, 3), 3)
  w.close()
  const whole = fs.readFileSync(listSegments(dir)[0]!)
  const headerSize = whole.readUInt16LE(CAPTURE_HDR.hdr_size.offset)
  for (const size of [0, 3, 40, headerSize - 1]) {
    const file = path.join(dir, `000000000${size === 0 ? 2 : 3}-0123456789abcdef.krcap`)
    fs.writeFileSync(file, whole.subarray(0, size))
    assert.equal(readSegment(file), null, `${size} bytes`)
    fs.rmSync(file)
  }
  // a whole header and nothing after it is a segment with no sub-buffer, not a cut one
  const file = path.join(dir, '0000000004-0123456789abcdef.krcap')
  fs.writeFileSync(file, whole.subarray(0, headerSize))
  assert.deepEqual(readSegment(file)!.subbufs, [])
})
