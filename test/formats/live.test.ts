import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  CHANNEL_FRAME_SIZE, createFrameView, encodeEndFrame, encodeErrorFrame, END_STOPPING, FRAME_BAD_LENGTH, FRAME_BAD_TYPE, FRAME_CHANNEL,
  FRAME_END, FRAME_ERROR, FRAME_LOSS, FRAME_OK, FRAME_RECORD, FRAME_SKIPPED, FRAME_TRUNCATED, frameChannelId, frameEndWhy,
  frameMonoToRealtimeNs, frameRecordOffset, frameReleased, frameSkipped, frameText, readFrame, readLossFrame, writeChannelFrame, writeLossFrame,
  writeRecordFrame, writeSkippedFrame, type LossFields,
} from '../../formats/live.ts'
import { LIVE_VERSION, liveHelloSchema, helloLine } from '../../formats/live-hello.ts'
import { createRecordView, readRecord, recordText, RECORD_OK, writeRecord } from '../../formats/record.ts'
import { dataView } from '../../formats/bytes.ts'

function recordBytes (msg: string, seq = 7): Buffer {
  const b = Buffer.alloc(4096)
  const len = writeRecord(b, 0, { type: 0, kind: 1, level: 4, seq, tsHi: 1, tsLo: 2, pid: 42, ctx: 0, comm: 'bash' }, Buffer.from(msg))
  return b.subarray(0, len)
}

test('a record frame holds the record\'s bytes exactly, small and large', () => {
  for (const msg of ['hello', 'x'.repeat(2000)]) {
    const rec = recordBytes(msg)
    const out = Buffer.alloc(8192)
    const view = dataView(out)
    const n = writeRecordFrame(view, 16, 3, dataView(rec), 0, rec.length)
    assert.equal(n, 8 + rec.length)
    const f = createFrameView()
    assert.equal(readFrame(view, 16, 16 + n, f), FRAME_OK)
    assert.deepEqual(f, { type: FRAME_RECORD, len: n, cpu: 3 })
    assert.deepEqual(out.subarray(frameRecordOffset(16), 16 + n), rec)
    const r = createRecordView()
    assert.equal(readRecord(view, frameRecordOffset(16), 16 + n, r), RECORD_OK)
    assert.equal(recordText(out, r), msg)
    assert.equal(r.seq, 7)
  }
})

test('channel, loss, skipped, end and error frames round-trip', () => {
  const out = Buffer.alloc(1024)
  const view = dataView(out)
  const f = createFrameView()
  let off = 0
  off += writeChannelFrame(view, off, '0123456789abcdef', 0x17, 0x89abcdef)
  const loss: LossFields = { cpu: 5, firstSeq: 2 ** 40 + 3, count: 1204, fromHi: 9, fromLo: 10, toHi: 11, toLo: 12, reason: 'reload' }
  const lossAt = off
  off += writeLossFrame(view, off, loss)
  const skipAt = off
  off += writeSkippedFrame(view, off, 48112)
  assert.equal(readFrame(view, 0, off, f), FRAME_OK)
  assert.equal(f.type, FRAME_CHANNEL)
  assert.equal(f.len, CHANNEL_FRAME_SIZE)
  assert.equal(frameChannelId(view, 0), '0123456789abcdef')
  assert.equal(frameMonoToRealtimeNs(view, 0), (0x17n << 32n) | 0x89abcdefn)
  const released = { tsHi: 0xffffffff, tsLo: 7, cpu: 3, seq: 2 ** 40 + 1 }
  assert.equal(frameReleased(view, 0, { ...released }), false, 'a channel frame sent at a channel\'s start names no released record')
  writeChannelFrame(view, 0, '0123456789abcdef', 0x17, 0x89abcdef, released)
  const into = { tsHi: 0, tsLo: 0, cpu: 0, seq: 0 }
  assert.equal(frameReleased(view, 0, into), true)
  assert.deepEqual(into, released)
  assert.equal(frameChannelId(view, 0), '0123456789abcdef')
  assert.equal(readFrame(view, lossAt, off, f), FRAME_OK)
  assert.equal(f.type, FRAME_LOSS)
  assert.equal(f.cpu, 5)
  assert.deepEqual(readLossFrame(view, lossAt, { cpu: 0, firstSeq: 0, count: 0, fromHi: 0, fromLo: 0, toHi: 0, toLo: 0, reason: 'dropped' }), loss)
  assert.equal(readFrame(view, skipAt, off, f), FRAME_OK)
  assert.equal(f.type, FRAME_SKIPPED)
  assert.equal(frameSkipped(view, skipAt), 48112)
  const end = encodeEndFrame(END_STOPPING, 'collector stopping: SIGTERM')
  const ev = dataView(end)
  assert.equal(readFrame(ev, 0, end.length, f), FRAME_OK)
  assert.equal(f.type, FRAME_END)
  assert.equal(frameEndWhy(ev, 0), END_STOPPING)
  assert.equal(frameText(ev, 0, f.len), 'collector stopping: SIGTERM')
  const err = encodeErrorFrame('bad hello: ünïcode')
  assert.equal(readFrame(dataView(err), 0, err.length, f), FRAME_OK)
  assert.equal(f.type, FRAME_ERROR)
  assert.equal(frameText(dataView(err), 0, f.len), 'bad hello: ünïcode')
})

test('truncated frames wait for more bytes, at every cut', () => {
  const rec = recordBytes('cut me anywhere')
  const out = Buffer.alloc(256)
  const n = writeRecordFrame(dataView(out), 0, 1, dataView(rec), 0, rec.length)
  const f = createFrameView()
  for (let cut = 0; cut < n; cut++) assert.equal(readFrame(dataView(out), 0, cut, f), FRAME_TRUNCATED, `cut at ${cut}`)
  assert.equal(readFrame(dataView(out), 0, n, f), FRAME_OK)
})

test('bad lengths and types are refused, not waited for', () => {
  const f = createFrameView()
  const out = Buffer.alloc(256)
  const view = dataView(out)
  writeSkippedFrame(view, 0, 1)
  view.setUint32(0, 17, true)
  assert.equal(readFrame(view, 0, 256, f), FRAME_BAD_LENGTH, 'a skipped frame is 16 bytes')
  const rec = recordBytes('x')
  writeRecordFrame(view, 0, 0, dataView(rec), 0, rec.length)
  view.setUint32(0, 0xffffff00, true)
  assert.equal(readFrame(view, 0, 12, f), FRAME_BAD_LENGTH, 'beyond the largest frame')
  writeRecordFrame(view, 0, 0, dataView(rec), 0, rec.length)
  view.setUint32(0, rec.length + 16, true)
  assert.equal(readFrame(view, 0, 256, f), FRAME_BAD_LENGTH, 'frame and record length disagree')
  view.setUint32(0, 4, true)
  assert.equal(readFrame(view, 0, 256, f), FRAME_BAD_LENGTH, 'shorter than a header')
  view.setUint8(4, 99)
  assert.equal(readFrame(view, 0, 256, f), FRAME_BAD_TYPE)
})

test('the hello: version and filter, anything else refused', () => {
  const ok = liveHelloSchema.parse(JSON.parse(helloLine({ cpu: [0, 2], level: 'warning', comm: ['bash'] })))
  assert.deepEqual(ok, { version: LIVE_VERSION, filter: { cpu: [0, 2], level: 'warning', comm: ['bash'] } })
  assert.equal(LIVE_VERSION, 2, 'version 2: the channel frame names the last record released before a subscriber joined')
  assert.deepEqual(liveHelloSchema.parse({ version: 1 }).filter, {})
  for (const bad of [{}, { version: 1, filter: { level: 'loud' } }, { version: 1, filter: { cpu: [-1] } }, { version: 1, extra: 1 }, { version: 1, filter: { comm: ['x'.repeat(17)] } }]) {
    assert.equal(liveHelloSchema.safeParse(bad).success, false, JSON.stringify(bad))
  }
})
