import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChunkQueue } from '../../../collector/merge/chunk-queue.ts'
import { dataView } from '../../../formats/bytes.ts'
import { recordLen, recordSeq, writeRecord } from '../../../formats/record.ts'

/** A chunk of records seq firstSeq.. with the given ts (lo halves; hi is the seq), payloads of growing length. */
function chunk (firstSeq: number, ts: number[]): DataView {
  const buf = Buffer.alloc(64 * 1024)
  let off = 0
  ts.forEach((lo, i) => {
    off += writeRecord(buf, off, { type: 0, kind: 1, level: 6, seq: firstSeq + i, tsHi: firstSeq + i, tsLo: lo, pid: 1, ctx: 0, comm: 'c' }, Buffer.from('x'.repeat((i % 7) * 9)))
  })
  return dataView(buf.subarray(0, off))
}

/** Every record still queued, by its offset in offs and the chunk it is in, as the merge's window reads them. */
function queuedSeqs (q: ChunkQueue): number[] {
  const out: number[] = []
  let view = q.view
  let chunkEnd = q.headChunkEnd
  let next = q.first
  for (let r = q.head; r < q.tail; r++) {
    if (r === chunkEnd) {
      view = q.views[next]!
      chunkEnd = q.chunkEnds[next++]!
    }
    out.push(recordSeq(view, q.offs[r]!))
  }
  return out
}

test('the head walks the records of every chunk in order, and offs holds every queued record', () => {
  const q = new ChunkQueue()
  assert.ok(q.empty)
  const a = chunk(1, [100, 200])
  const b = chunk(3, [300])
  q.push(a, 0, a.byteLength)
  q.push(b, 0, b.byteLength)
  assert.equal(q.bytes, a.byteLength + b.byteLength)
  assert.deepEqual(queuedSeqs(q), [1, 2, 3])
  const seen: number[] = []
  for (;;) {
    seen.push(recordSeq(q.view, q.off))
    if (!q.advance(recordLen(q.view, q.off))) break
    assert.deepEqual(queuedSeqs(q), [1, 2, 3].slice(seen.length))
  }
  assert.deepEqual(seen, [1, 2, 3])
  assert.ok(q.empty)
  assert.equal(q.bytes, 0)
})

test('a chunk pushed into an empty queue becomes the head at once, from the start offset given', () => {
  const q = new ChunkQueue()
  const a = chunk(1, [100])
  q.push(a, 0, a.byteLength)
  assert.equal(q.advance(a.byteLength), false)
  const b = chunk(7, [700, 800])
  const second = recordLen(b, 0)
  q.push(b, second, b.byteLength)
  assert.equal(recordSeq(q.view, q.off), 8)
  assert.deepEqual(queuedSeqs(q), [8])
})

test('many chunks and records: the offsets are compacted and grown, and the order holds', () => {
  const q = new ChunkQueue()
  let pushed = 0
  let taken = 0
  // push 300 records per chunk, take 200 per round: the offsets pass 1024 (compaction) and grow (doubling)
  for (let round = 0; round < 40; round++) {
    const c = chunk(pushed + 1, Array.from({ length: 300 }, (_, i) => i))
    q.push(c, 0, c.byteLength)
    pushed += 300
    for (let i = 0; i < 200; i++) {
      assert.equal(recordSeq(q.view, q.off), ++taken)
      assert.ok(q.advance(recordLen(q.view, q.off)))
    }
    const seqs = queuedSeqs(q)
    assert.equal(seqs.length, pushed - taken)
    assert.equal(seqs[0], taken + 1)
    assert.equal(seqs.at(-1), pushed)
  }
  assert.ok(q.offs.length > 1024, 'the offsets grew')
  while (!q.empty) {
    assert.equal(recordSeq(q.view, q.off), ++taken)
    q.advance(recordLen(q.view, q.off))
  }
  assert.equal(taken, pushed)
  assert.equal(q.head, 0)
  assert.equal(q.tail, 0)
})
