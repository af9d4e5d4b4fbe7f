import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { scanSpool } from '../../../collector/spool/spool-scan.ts'
import { SpoolWriter } from '../../../collector/spool/spool-writer.ts'
import { encodeFrame, FRAME_HDR } from '../../../formats/capture-frame.ts'
import { meta, subbuf } from '../collect/subbufs.ts'

test('scan: segments and their sizes, the highest sub-buffer seq per channel and CPU, cut headers, torn tails', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-scan-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const files: string[] = []
  const spool = new SpoolWriter(dir, { fsync: 'never', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 7, s => files.push(s.file))
  spool.open(meta('00000000000000aa'))
  spool.append(0, subbuf(0, 1, 1, [10, 20]), 2)
  spool.append(1, subbuf(1, 4, 1, [15]), 1)
  spool.append(0, subbuf(0, 2, 3, [30]), 3)
  spool.open(meta('00000000000000bb'))
  spool.append(1, subbuf(1, 9, 1, [40]), 1)
  spool.close()
  // a tail a crash cut short is not counted: that sub-buffer was never acknowledged
  fs.appendFileSync(files[1]!, encodeFrame(subbuf(1, 10, 2, [50, 60]), 1, 10).subarray(0, 90))
  const cut = path.join(dir, '0000000012-00000000000000cc.krcap')
  fs.writeFileSync(cut, Buffer.alloc(20))
  const scan = scanSpool(dir)
  assert.deepEqual(scan.segments, files.map(file => ({ file, bytes: fs.statSync(file).size })))
  assert.deepEqual(scan.cut, [cut])
  assert.equal(scan.lastNumber, 12)
  assert.equal(scan.bytes, files.reduce((n, f) => n + fs.statSync(f).size, 0))
  assert.deepEqual([...scan.subbufSeq.get('00000000000000aa')!].sort(), [[0, 2], [1, 4]])
  assert.deepEqual([...scan.subbufSeq.get('00000000000000bb')!], [[1, 9]])
})

test('scan: a damaged seq is never trusted (capture acknowledges up to it); a segment with a bad header is named, not fed, its bytes counted', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-scan-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const files: string[] = []
  const spool = new SpoolWriter(dir, { fsync: 'never', segmentBytes: 1 << 20, segmentAgeMs: 60000 }, 1, s => files.push(s.file))
  spool.open(meta())
  spool.append(0, subbuf(0, 1, 1, [10]), 1)
  const at = spool.segment!.bytes
  spool.append(0, subbuf(0, 2, 2, [20]), 2)
  spool.open(meta())
  spool.append(1, subbuf(1, 5, 1, [10]), 1)
  spool.close()
  const fd = fs.openSync(files[0]!, 'r+')
  fs.writeSync(fd, Buffer.from([0x40]), 0, 1, at + FRAME_HDR.seq.offset + 5) // seq 2 becomes 2^45 + 2
  fs.closeSync(fd)
  const bad = files[1]!
  const bytes = fs.readFileSync(bad)
  bytes[20] = bytes[20]! ^ 1
  fs.writeFileSync(bad, bytes)
  const scan = scanSpool(dir)
  assert.deepEqual([...scan.subbufSeq.get(meta().channelId)!], [[0, 1]])
  assert.deepEqual(scan.segments.map(s => s.file), [files[0]])
  assert.equal(scan.damaged.length, 1)
  assert.equal(scan.damaged[0]!.file, bad)
  assert.match(scan.damaged[0]!.why, /capture header CRC mismatch/)
  assert.equal(scan.bytes, fs.statSync(files[0]!).size + bytes.length)
})

test('scan of a spool that does not exist: nothing, and nothing made', () => {
  const dir = path.join(os.tmpdir(), `krelay-scan-none-${process.pid}`)
  assert.deepEqual(scanSpool(dir), { segments: [], cut: [], damaged: [], subbufSeq: new Map(), lastNumber: 0, bytes: 0 })
  assert.equal(fs.existsSync(dir), false)
})
