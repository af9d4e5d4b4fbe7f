import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LiveFilter } from '../../../collector/live/filter.ts'
import { Subscriber, type FrameSink } from '../../../collector/live/subscriber.ts'
import { createLossRow } from '../../../collector/collect/loss-row.ts'
import { dataView } from '../../../formats/bytes.ts'
import {
  FRAME_CHANNEL, FRAME_END, FRAME_LOSS, FRAME_RECORD, FRAME_SKIPPED, frameChannelId, frameMonoToRealtimeNs, frameRecordOffset, frameSkipped,
  readLossFrame,
} from '../../../formats/live.ts'
import { recordSeq, writeRecord } from '../../../formats/record.ts'
import { FrameStream } from '../../../cli/tail/frames.ts'

/** A socket that keeps every write's callback until `drain()`, like one whose peer does not read. */
class FakeSink implements FrameSink {
  readonly bytes: Buffer[] = []
  private waiting: (() => void)[] = []
  ended = false
  write (chunk: Uint8Array, done: () => void): boolean {
    this.bytes.push(Buffer.from(chunk))
    this.waiting.push(done)
    return false
  }

  end (chunk: Uint8Array): void {
    this.bytes.push(Buffer.from(chunk))
    this.ended = true
  }

  drain (): void {
    const w = this.waiting
    this.waiting = []
    for (const done of w) done()
  }

  /** What the subscriber got: 'c<id>', seq numbers, 's<count>', 'l<cpu>:<count>', 'end'. */
  events (): (string | number)[] {
    const out: (string | number)[] = []
    const stream = new FrameStream((view, off, f) => {
      if (f.type === FRAME_RECORD) out.push(recordSeq(view, frameRecordOffset(off)))
      else if (f.type === FRAME_SKIPPED) out.push(`s${frameSkipped(view, off)}`)
      else if (f.type === FRAME_CHANNEL) out.push(`c${frameChannelId(view, off)}:${frameMonoToRealtimeNs(view, off)}`)
      else if (f.type === FRAME_LOSS) {
        const l = readLossFrame(view, off, createLossRow())
        out.push(`l${l.cpu}:${l.count}:${l.reason}`)
      } else if (f.type === FRAME_END) out.push('end')
    })
    for (const b of this.bytes) stream.push(b)
    return out
  }
}

/** Records seq 1..n at ts = seq * 10, each 64 bytes (48 + 10 + pad). */
function records (n: number, cpu = 0): { view: DataView, offs: number[] } {
  const b = Buffer.alloc(64 * n)
  const offs: number[] = []
  for (let i = 0, off = 0; i < n; i++) {
    offs.push(off)
    off += writeRecord(b, off, { type: 0, kind: 1, level: 6, seq: i + 1, tsHi: 0, tsLo: (i + 1) * 10, pid: 1, ctx: 0, comm: `c${cpu}` }, Buffer.from('0123456789'))
  }
  return { view: dataView(b), offs }
}

const CHANNEL = { channelId: '0123456789abcdef', monoToRealtimeNs: '1764032400123456789' }

test('records are queued as frames and written in one batch per release, after the channel frame', () => {
  const sink = new FakeSink()
  const sub = new Subscriber(sink, new LiveFilter({}))
  sub.channel(CHANNEL)
  const { view, offs } = records(5)
  for (const off of offs) sub.record(view, off, 0)
  assert.equal(sink.bytes.length, 0, 'nothing written before the release ends')
  sub.released(false)
  assert.equal(sink.bytes.length, 1, 'one write')
  assert.deepEqual(sink.events(), ['c0123456789abcdef:1764032400123456789', 1, 2, 3, 4, 5])
})

test('a subscriber that does not drain: records skipped and counted, a skipped frame before the next record', () => {
  const sink = new FakeSink()
  // two chunks of 1 KiB: 14 frames of 72 bytes each (1008 bytes), 28 in all
  const sub = new Subscriber(sink, new LiveFilter({}), { queueBytes: 2048, chunkBytes: 1024 })
  const { view, offs } = records(100)
  for (const off of offs.slice(0, 60)) sub.record(view, off, 0)
  sub.released(false)
  assert.equal(sub.stats.records, 28)
  assert.equal(sub.stats.skipped, 32)
  for (const off of offs.slice(60, 70)) sub.record(view, off, 0)
  sub.released(false)
  assert.equal(sub.stats.skipped, 42, 'still full: nothing came back from the socket')
  sink.drain()
  for (const off of offs.slice(70, 90)) sub.record(view, off, 0)
  sub.released(false)
  const ev = sink.events()
  const seqs = ev.filter(e => typeof e === 'number')
  assert.deepEqual(ev.slice(0, 29), [...Array.from({ length: 28 }, (_, i) => i + 1), 's42'])
  assert.equal(ev[29], 71)
  assert.equal(seqs.length + 42, 90, 'printed + skipped = all')
  assert.equal(sub.stats.skipped, 42)
  assert.ok(sub.heldBytes <= 2048)
})

test('small releases hold their bytes, not a chunk each: the queue bound is bytes, whatever the flush interval', () => {
  const sink = new FakeSink()
  // 8 KiB in chunks of 1 KiB, a release of two 72-byte frames at a time, never drained
  const sub = new Subscriber(sink, new LiveFilter({}), { queueBytes: 8192, chunkBytes: 1024 })
  const { view, offs } = records(200)
  for (let i = 0; i < offs.length; i += 2) {
    sub.record(view, offs[i]!, 0)
    sub.record(view, offs[i + 1]!, 0)
    sub.released(false)
  }
  // a chunk a release would hold 8 releases, 16 records; their bytes hold 8192 / 144 releases
  // less the chunk being filled: about 7168 / 72 records
  assert.ok(sub.stats.records >= 90, `${sub.stats.records} records queued`)
  assert.ok(sub.heldBytes <= 8192, `${sub.heldBytes} bytes held`)
  assert.equal(sub.stats.records + sub.stats.skipped, 200)
  sink.drain()
  assert.equal(sub.heldBytes, 0, 'all of it comes back once written')
  const seqs = sink.events().filter(e => typeof e === 'number')
  assert.deepEqual(seqs, Array.from({ length: sub.stats.records }, (_, i) => i + 1))
})

test('losses are never skipped, and wait for the first record at or after their end', () => {
  const sink = new FakeSink()
  const sub = new Subscriber(sink, new LiveFilter({}), { queueBytes: 1024, chunkBytes: 512 })
  const { view, offs } = records(40)
  const loss = createLossRow()
  Object.assign(loss, { cpu: 1, firstSeq: 7, count: 1204, toLo: 35 })
  sub.loss(loss)
  loss.count = 99 // the row is reused by the pipeline: the subscriber copied it
  for (const off of offs) sub.record(view, off, 0)
  Object.assign(loss, { cpu: 0, firstSeq: 50, count: 3, toLo: 1000 })
  sub.loss(loss)
  sub.released(false)
  assert.ok(sub.stats.skipped > 0, 'the queue is full')
  const ev = sink.events()
  assert.deepEqual(ev.slice(0, 4), [1, 2, 3, 'l1:1204:dropped'], 'before ts 40, the first at or after 35')
  assert.ok(!ev.includes('l0:3:dropped'), 'no record after it yet')
  sub.end('collector stopping')
  const after = sink.events()
  assert.deepEqual(after.slice(-2), ['l0:3:dropped', 'end'], 'kept beyond the bound, then the end frame')
  assert.ok(sink.ended)
})

test('the filter applies before the queue; losses on other CPUs are not sent', () => {
  const sink = new FakeSink()
  const sub = new Subscriber(sink, new LiveFilter({ cpu: [1] }))
  const a = records(3, 0)
  const b = records(3, 1)
  for (let i = 0; i < 3; i++) {
    sub.record(a.view, a.offs[i]!, 0)
    sub.record(b.view, b.offs[i]!, 1)
  }
  const loss = createLossRow()
  Object.assign(loss, { cpu: 0, count: 5 })
  sub.loss(loss)
  Object.assign(loss, { cpu: 1, count: 6, reason: 'reload' })
  sub.loss(loss)
  sub.released(true)
  assert.deepEqual(sink.events(), [1, 2, 3, 'l1:6:reload'])
})

test('a subscriber that never reads while losses go on is given up', () => {
  let overflowed = 0
  const sink = new FakeSink()
  const sub = new Subscriber(sink, new LiveFilter({}), { queueBytes: 1024, chunkBytes: 512, maxExtraBytes: 4096, onOverflow: () => overflowed++ })
  const { view, offs } = records(40)
  for (const off of offs) sub.record(view, off, 0)
  const loss = createLossRow()
  for (let i = 0; i < 200; i++) sub.loss(loss)
  sub.released(true)
  assert.ok(overflowed > 0)
})
