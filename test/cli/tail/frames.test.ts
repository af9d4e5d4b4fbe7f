import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FrameStream } from '../../../cli/tail/frames.ts'
import { dataView } from '../../../formats/bytes.ts'
import { FRAME_RECORD, frameRecordOffset, frameSkipped, writeRecordFrame, writeSkippedFrame } from '../../../formats/live.ts'
import { recordSeq, writeRecord } from '../../../formats/record.ts'

function stream (): Buffer {
  const out = Buffer.alloc(4096)
  const view = dataView(out)
  const rec = Buffer.alloc(256)
  let off = 0
  for (let seq = 1; seq <= 5; seq++) {
    const len = writeRecord(rec, 0, { type: 0, kind: 1, level: 6, seq, tsHi: 0, tsLo: seq, pid: 1, ctx: 0, comm: 'x' }, Buffer.from('m'.repeat(seq * 7)))
    off += writeRecordFrame(view, off, seq % 2, dataView(rec), 0, len)
    if (seq === 3) off += writeSkippedFrame(view, off, 42)
  }
  return out.subarray(0, off)
}

test('frames come out whole however the stream is cut into chunks', () => {
  const bytes = stream()
  for (const size of [1, 3, 8, 17, 64, bytes.length]) {
    const got: string[] = []
    const s = new FrameStream((view, off, f) => got.push(f.type === FRAME_RECORD ? `${f.cpu}/${recordSeq(view, frameRecordOffset(off))}` : `s${frameSkipped(view, off)}`))
    for (let i = 0; i < bytes.length; i += size) s.push(Buffer.from(bytes.subarray(i, i + size)))
    assert.deepEqual(got, ['1/1', '0/2', '1/3', 's42', '0/4', '1/5'], `chunks of ${size}`)
    assert.equal(s.pendingBytes, 0)
  }
})

test('a broken stream throws, naming the problem', () => {
  const bytes = Buffer.from(stream())
  bytes.writeUInt8(99, 4)
  assert.throws(() => new FrameStream(() => {}).push(bytes), /broken stream \(unknown frame type/)
})
