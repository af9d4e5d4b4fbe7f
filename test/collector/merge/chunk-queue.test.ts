import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChunkQueue } from '../../../collector/merge/chunk-queue.ts'
import { dataView } from '../../../formats/bytes.ts'
import { recordLen, recordSeq, writeRecord } from '../../../formats/record.ts'

/** A chunk of records seq firstSeq.. with the given ts (lo halves; hi is the seq). */
function chunk (firstSeq: number, ts: number[]): DataView {
  const buf = Buffer.alloc(4096)
  let off = 0
  ts.forEach((lo, i) => {
    off += writeRecord(buf, off, { type: 0, kind: 1, level: 6, seq: firstSeq + i, tsHi: firstSeq + i, tsLo: lo, pid: 1, ctx: 0, comm: 'c' }, Buffer.from('x'.repeat(i * 9)))
  })
  return dataView(buf.subarray(0, off))
}

test('the head walks the records of every chunk in order, its ts at hand', () => {
  const q = new ChunkQueue()
  assert.ok(q.empty)
  const a = chunk(1, [100, 200])
  const b = chunk(3, [300])
  q.push(a, 0, a.byteLength)
  q.push(b, 0, b.byteLength)
  assert.equal(q.bytes, a.byteLength + b.byteLength)
  const seen: Array<[number, number, number]> = []
  for (;;) {
    seen.push([recordSeq(q.view, q.off), q.tsHi, q.tsLo])
    if (!q.advance(recordLen(q.view, q.off))) break
  }
  assert.deepEqual(seen, [[1, 1, 100], [2, 2, 200], [3, 3, 300]])
  assert.ok(q.empty)
  assert.equal(q.bytes, 0)
})

test('a chunk pushed into an empty queue becomes the head at once', () => {
  const q = new ChunkQueue()
  const a = chunk(1, [100])
  q.push(a, 0, a.byteLength)
  assert.equal(q.advance(a.byteLength), false)
  const b = chunk(7, [700, 800])
  const second = recordLen(b, 0)
  q.push(b, second, b.byteLength)
  assert.deepEqual([recordSeq(q.view, q.off), q.tsHi, q.tsLo], [8, 8, 800], 'from the start offset given')
})

test('many chunks: the consumed ones are dropped and the order holds', () => {
  const q = new ChunkQueue()
  for (let i = 0; i < 300; i++) {
    const c = chunk(i + 1, [i])
    q.push(c, 0, c.byteLength)
  }
  for (let i = 0; i < 300; i++) {
    assert.equal(q.tsLo, i)
    assert.equal(recordSeq(q.view, q.off), i + 1)
    assert.equal(q.advance(recordLen(q.view, q.off)), i < 299)
  }
})
