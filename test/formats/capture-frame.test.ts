import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32c } from '@node-rs/crc32'
import {
  checkFrame, createFrameView, encodeFrame, findFrame, FRAME_BAD_CRC, FRAME_BAD_LENGTH, FRAME_BAD_MAGIC, FRAME_HDR, FRAME_HDR_SIZE,
  FRAME_INCOMPLETE, FRAME_OK, framePadding,
} from '../../formats/capture-frame.ts'
import { CaptureHeaderError, decodeCaptureHeader, encodeCaptureHeader, isCaptureHeaderCut } from '../../formats/capture.ts'
import { meta, subbuf } from '../collector/spool/fixtures.ts'

test('CRC32C is the Castagnoli CRC (the check value of "123456789" is 0xe3069283)', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
})

test('a frame: its header names length, cpu and seq; checkFrame reads it back and finds where the next starts', () => {
  const entry = subbuf(3, 2 ** 40 + 5, 1, 4)
  const frame = encodeFrame(entry, 3, 2 ** 40 + 5)
  assert.equal(frame.length, FRAME_HDR_SIZE + entry.length + framePadding(entry.length))
  assert.equal(frame.length % 8, 0)
  const v = createFrameView()
  assert.equal(checkFrame(frame, 0, 4096, v), FRAME_OK)
  assert.deepEqual(v, { cpu: 3, seq: 2 ** 40 + 5, entryOff: FRAME_HDR_SIZE, len: entry.length, next: frame.length })
  assert.ok(frame.subarray(FRAME_HDR_SIZE, FRAME_HDR_SIZE + entry.length).equals(entry))
})

test('every single flipped bit of a frame is found: bad magic, impossible length, or CRC mismatch', () => {
  const frame = encodeFrame(subbuf(0, 1, 1, 2), 0, 1)
  const v = createFrameView()
  for (let bit = 0; bit < frame.length * 8; bit++) {
    const bad = Buffer.from(frame)
    bad[bit >> 3] = bad[bit >> 3]! ^ (1 << (bit & 7))
    const status = checkFrame(bad, 0, 4096, v)
    assert.ok([FRAME_BAD_MAGIC, FRAME_BAD_LENGTH, FRAME_BAD_CRC, FRAME_INCOMPLETE].includes(status), `bit ${bit}: ${status}`)
    // a flipped length bit that makes the frame longer than the bytes reads as incomplete: only the end of a file may do that
    if (status === FRAME_INCOMPLETE) assert.ok(bit >= FRAME_HDR.len.offset * 8 && bit < (FRAME_HDR.len.offset + 4) * 8, `bit ${bit}`)
  }
})

test('a frame cut short is incomplete, whatever the cut; a wrong length or magic is not', () => {
  const frame = encodeFrame(subbuf(0, 1, 1, 2), 0, 1)
  const v = createFrameView()
  for (let n = 1; n < frame.length; n++) assert.equal(checkFrame(frame.subarray(0, n), 0, 4096, v), FRAME_INCOMPLETE, `${n} bytes`)
  const long = Buffer.from(frame)
  long.writeUInt32LE(4097, FRAME_HDR.len.offset)
  assert.equal(checkFrame(long, 0, 4096, v), FRAME_BAD_LENGTH)
  long.writeUInt32LE(79, FRAME_HDR.len.offset)
  assert.equal(checkFrame(long, 0, 4096, v), FRAME_BAD_LENGTH)
  assert.equal(checkFrame(Buffer.from('KFRX'), 0, 4096, v), FRAME_BAD_MAGIC)
})

test('findFrame: the next good frame at an 8-byte step, skipping a magic whose frame is bad', () => {
  const a = encodeFrame(subbuf(0, 1, 1, 2), 0, 1)
  const b = encodeFrame(subbuf(1, 1, 1, 3), 1, 1)
  const bad = Buffer.from(a)
  bad[FRAME_HDR_SIZE + 10] = bad[FRAME_HDR_SIZE + 10]! ^ 1
  const buf = Buffer.concat([Buffer.alloc(16, 0xee), bad, b])
  const v = createFrameView()
  assert.equal(findFrame(buf, 0, 4096, v), 16 + bad.length)
  assert.equal(v.cpu, 1)
  assert.equal(findFrame(buf, 16 + bad.length + 8, 4096, v), -1)
})

test('segment header version 2: a CRC over the header; any flipped bit is refused as CaptureHeaderError, not taken for a cut', () => {
  const h = encodeCaptureHeader(meta())
  assert.equal(decodeCaptureHeader(h, 'x').version, 2)
  for (let bit = 0; bit < h.length * 8; bit++) {
    const bad = Buffer.from(h)
    bad[bit >> 3] = bad[bit >> 3]! ^ (1 << (bit & 7))
    if (isCaptureHeaderCut(bad)) assert.fail(`bit ${bit}: taken for a cut header`)
    assert.throws(() => decodeCaptureHeader(bad, 'seg.krcap'), (err: Error) => err instanceof CaptureHeaderError && err.message.startsWith('seg.krcap: '), `bit ${bit}`)
  }
})

test('segment header version 1 (the previous release) is still read', () => {
  const h = encodeCaptureHeader(meta())
  h.writeUInt16LE(1, 4)
  h.writeUInt32LE(0, 44)
  const { meta: m, version } = decodeCaptureHeader(h, 'x')
  assert.equal(version, 1)
  assert.deepEqual(m, meta())
})
