import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { SpoolWriter } from '../../../collector/spool/spool-writer.ts'
import { segmentName } from '../../../collector/spool/segment.ts'
import { listSegments, readSegment } from '../../../collector/spool/spool-reader.ts'
import type { Segment } from '../../../collector/spool/segment.ts'
import { meta, subbuf } from './fixtures.ts'
import { tempDir } from '../../temp-dir.ts'

function tmpdir (): string {
  return tempDir('krelay-spool-')
}

test('sub-buffers come back byte for byte, with the channel meta, in write order', () => {
  const dir = tmpdir()
  const closed: Segment[] = []
  const w = new SpoolWriter(dir, { fsync: 'always', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 1, s => closed.push(s))
  w.open(meta())
  const written = [subbuf(0, 1, 1, 3), subbuf(1, 1, 1, 2), subbuf(0, 2, 4, 5)]
  w.append(0, written[0]!, 3)
  w.append(1, written[1]!, 2)
  w.append(0, written[2]!, 8)
  w.close()
  assert.equal(closed.length, 1)
  assert.deepEqual([...closed[0]!.maxSeq], [[0, 8], [1, 2]])
  const files = listSegments(dir)
  assert.equal(files.length, 1)
  const seg = readSegment(files[0]!)!
  assert.deepEqual(seg.meta, meta())
  assert.equal(seg.tornBytes, 0)
  assert.deepEqual(seg.subbufs.map(s => s.cpu), [0, 1, 0])
  seg.subbufs.forEach((s, i) => assert.ok(s.bytes.equals(written[i]!), `sub-buffer ${i} differs`))
})

test('each sub-buffer in a frame: the frame gives its length, so a header spooled alone (it failed its checks) does not shift what follows', () => {
  const dir = tmpdir()
  const w = new SpoolWriter(dir, { fsync: 'never', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 1, () => {})
  w.open(meta())
  const headerAlone = subbuf(0, 1, 1, 3).subarray(0, 80) // its committed still says 3 records
  const next = subbuf(0, 2, 4, 2)
  w.append(0, headerAlone, 0, 7)
  w.append(0, next, 5)
  const bytes = w.segment!.bytes
  w.close()
  const seg = readSegment(listSegments(dir)[0]!)!
  assert.equal(fs.statSync(seg.file).size, bytes)
  assert.deepEqual(seg.subbufs.map(s => [s.cpu, s.seq, s.bytes.length]), [[0, 7, 80], [0, 2, next.length]])
  assert.ok(seg.subbufs[1]!.bytes.equals(next))
  assert.deepEqual(seg.damaged, [])
})

test('rotation by size: shouldRotate says so, and segment numbers keep increasing', () => {
  const dir = tmpdir()
  const w = new SpoolWriter(dir, { fsync: 100, segmentBytes: 600, segmentAgeMs: 60000 }, 1, () => {})
  w.open(meta())
  w.append(0, subbuf(0, 1, 1, 3), 3)
  assert.equal(w.shouldRotate(), false)
  w.append(0, subbuf(0, 2, 4, 6), 9)
  assert.equal(w.shouldRotate(), true)
  w.open(meta('fedcba9876543210'))
  w.append(0, subbuf(0, 1, 1, 1), 1)
  w.close()
  const names = listSegments(dir).map(f => path.basename(f))
  assert.deepEqual(names, ['0000000001-0123456789abcdef.krcap', '0000000002-fedcba9876543210.krcap'])
  assert.equal(readSegment(listSegments(dir)[1]!)!.meta.channelId, 'fedcba9876543210')
})

test('an unwritable spool directory is an error naming the file', () => {
  const dir = tmpdir()
  const w = new SpoolWriter(dir, { fsync: 'always', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 1, () => {})
  fs.rmSync(dir, { recursive: true })
  fs.writeFileSync(dir, 'not a directory')
  assert.throws(() => w.open(meta()), /ENOTDIR/)
})

test('a link planted under the next segment name is refused, and its target is not written', () => {
  const dir = tmpdir()
  const target = path.join(tmpdir(), 'elsewhere')
  fs.writeFileSync(target, 'precious')
  fs.symlinkSync(target, path.join(dir, segmentName(1, meta().channelId)))
  const w = new SpoolWriter(dir, { fsync: 'never', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 1, () => {})
  assert.throws(() => w.open(meta()), { code: 'EEXIST' })
  assert.equal(fs.readFileSync(target, 'utf8'), 'precious')
  assert.equal(w.segment, undefined)
})

test('segments are created 0640 whatever the umask; a spool directory it creates is 0750', () => {
  const old = process.umask(0)
  try {
    const dir = path.join(tmpdir(), 'spool')
    const w = new SpoolWriter(dir, { fsync: 'never', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 1, () => {})
    w.open(meta())
    w.close()
    assert.equal(fs.statSync(dir).mode & 0o7777, 0o750)
    assert.equal(fs.statSync(listSegments(dir)[0]!).mode & 0o7777, 0o640)
  } finally {
    process.umask(old)
  }
})

test('a full disk (ENOSPC): append throws, the segment is cut back to its last whole sub-buffer, and the same append succeeds once there is room', (t) => {
  const mnt = tmpdir()
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' })
  } catch {
    t.skip('cannot mount a tmpfs here (needs root)')
    return
  }
  try {
    const w = new SpoolWriter(mnt, { fsync: 'always', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 1, () => {})
    w.open(meta())
    const small = subbuf(0, 1, 1, 3)
    w.append(0, small, 3)
    const whole = w.segment!.bytes
    const big = Buffer.concat([subbuf(0, 2, 4, 5), Buffer.alloc(200 * 1024, 7)]) // more than the filesystem holds
    assert.throws(() => w.append(0, big, 5), (err: Error) => /^spool: cannot write .*\.krcap: ENOSPC/.test(err.message))
    assert.equal(w.segment!.bytes, whole, 'nothing counted')
    assert.equal(fs.statSync(w.segment!.file).size, whole, 'the partial write was cut off')
    execFileSync('mount', ['-o', 'remount,size=1m', mnt])
    const next = subbuf(1, 1, 1, 2)
    w.append(1, next, 2)
    w.close()
    const seg = readSegment(listSegments(mnt)[0]!)!
    assert.equal(seg.tornBytes, 0)
    assert.deepEqual(seg.subbufs.map(s => s.bytes), [small, next])
  } finally {
    execFileSync('umount', ['-l', mnt])
  }
})
