// The merge's release windows (collector/merge/window.ts), through the merge: windows
// cut for room, ties, empty and late streams, a ts that goes back, an emit that throws.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Merge } from '../../../collector/merge/merge.ts'
import { assertOrdered, byMergeOrder, decodeEmitted, key, pushChunk, type Rec } from './streams.ts'
import { seeded as rng } from '../../seeded.ts'

function stream (cpu: number, ts: number[], firstSeq = 1): Rec[] {
  return ts.map((lo, i) => ({ cpu, seq: firstSeq + i, hi: 0x00300000, lo }))
}

test('equal ts on every CPU, in windows smaller than the CPUs: by CPU, then seq, each once', () => {
  for (const windowRecords of [1, 2, 3, 7, 64]) {
    const out: Rec[] = []
    const merge = new Merge(decodeEmitted(out), undefined, windowRecords)
    const rand = rng(windowRecords)
    const all: Rec[] = []
    for (const cpu of [9, 3, 0, 7, 1, 5, 2, 8, 4, 6]) {
      merge.addCpu(cpu)
      const recs = stream(cpu, Array.from({ length: 20 }, () => 5000))
      all.push(...recs)
      pushChunk(merge, cpu, recs.slice(0, 12), rand)
      pushChunk(merge, cpu, recs.slice(12), rand)
      merge.setWatermark(cpu, 0x00300000, 5001)
    }
    assert.equal(merge.release('watermark'), 200, `windows of ${windowRecords}`)
    assert.deepEqual(out.map(key), all.sort(byMergeOrder).map(key), `windows of ${windowRecords}`)
  }
})

test('a busy CPU among idle ones, windows of 100: every record in order across many windows', () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out), undefined, 100)
  for (let cpu = 0; cpu < 64; cpu++) merge.addCpu(cpu)
  const rand = rng(5)
  const busy = stream(17, Array.from({ length: 5000 }, (_, i) => i * 3))
  const quiet = stream(40, [1, 2, 3001, 9000])
  for (let i = 0; i < busy.length; i += 500) pushChunk(merge, 17, busy.slice(i, i + 500), rand)
  pushChunk(merge, 40, quiet, rand)
  merge.push(3, new DataView(new ArrayBuffer(0)), 0, 0) // an empty chunk changes nothing
  for (let cpu = 0; cpu < 64; cpu++) merge.setWatermark(cpu, 0x00300000, 12000)
  assert.equal(merge.release('watermark'), 4000 + 4)
  assert.equal(merge.release('all'), 1000)
  assert.deepEqual(out.map(key), [...busy, ...quiet].sort(byMergeOrder).map(key))
  assert.equal(merge.queuedBytes(), 0)
})

test('a CPU that reports no watermark holds everything back; one with no records does not', () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out), undefined, 4)
  for (const cpu of [0, 1, 2]) merge.addCpu(cpu)
  pushChunk(merge, 0, stream(0, [10, 20, 30]), rng(1))
  merge.setWatermark(0, 0x00300000, 100)
  merge.setWatermark(2, 0x00300000, 100) // CPU 2 has no records
  assert.equal(merge.release('watermark'), 0, 'CPU 1 never reported')
  merge.setWatermark(1, 0x00300000, 25)
  assert.equal(merge.release('watermark'), 2)
  assert.equal(merge.release('all'), 1)
  assert.deepEqual(out.map(key), ['0:1', '0:2', '0:3'])
})

test('a CPU added late holds the merge until it reports; its records older than those emitted are passed on as late', () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out), undefined, 3)
  const rand = rng(2)
  merge.addCpu(4)
  pushChunk(merge, 4, stream(4, [100, 200, 300, 400]), rand)
  merge.setWatermark(4, 0x00300000, 250)
  assert.equal(merge.release('watermark'), 2)
  merge.addCpu(1)
  merge.setWatermark(4, 0x00300000, 1000)
  assert.equal(merge.release('watermark'), 0, 'CPU 1 was added and has not reported')
  pushChunk(merge, 1, stream(1, [50, 150, 350]), rand)
  merge.setWatermark(1, 0x00300000, 1000)
  assert.equal(merge.release('watermark'), 5)
  assert.deepEqual(out.map(key), ['4:1', '4:2', '1:1', '1:2', '4:3', '1:3', '4:4'])
  assert.equal(merge.stats.late, 2, '1:1 and 1:2 came after 4:2')
})

test('a CPU whose ts goes back keeps its seq order, as a heap of stream heads would emit it, and counts late', () => {
  for (const windowRecords of [1, 2, 100]) {
    const out: Rec[] = []
    const merge = new Merge(decodeEmitted(out), undefined, windowRecords)
    const rand = rng(3)
    merge.addCpu(0)
    merge.addCpu(1)
    pushChunk(merge, 0, stream(0, [10, 5, 20]), rand)
    pushChunk(merge, 1, stream(1, [7, 10, 15]), rand)
    merge.release('all')
    // heads 10 and 7: 1:1; 10 and 10: 0:1 (CPU 0 first); then 5 is CPU 0's head and lowest; 20 and 10: 1:2; 1:3; 0:3
    assert.deepEqual(out.map(key), ['1:1', '0:1', '0:2', '1:2', '1:3', '0:3'], `windows of ${windowRecords}`)
    assert.equal(merge.stats.late, 1)
  }
})

test('an emit that throws leaves that record and the rest of the window queued, for the next release', () => {
  for (const windowRecords of [2, 1000]) {
    const out: Rec[] = []
    const decode = decodeEmitted(out)
    let calls = 0
    const merge = new Merge((view, off, cpu) => {
      if (++calls % 4 === 0) throw new Error('no room')
      decode(view, off, cpu)
    }, undefined, windowRecords)
    const rand = rng(4)
    const all: Rec[] = []
    for (let cpu = 0; cpu < 3; cpu++) {
      merge.addCpu(cpu)
      const recs = stream(cpu, Array.from({ length: 10 }, (_, i) => i * 10 + cpu * 3))
      all.push(...recs)
      pushChunk(merge, cpu, recs, rand)
    }
    let throws = 0
    for (;;) {
      try {
        merge.release('all')
        break
      } catch (err) {
        assert.match((err as Error).message, /no room/)
        throws++
      }
    }
    assert.ok(throws >= 7, `${throws} refusals`)
    assert.deepEqual(out.map(key), all.sort(byMergeOrder).map(key), `windows of ${windowRecords}`)
    assert.equal(merge.stats.emitted, 30)
    assert.equal(merge.queuedBytes(), 0)
  }
})

test("'memory' with small windows and many CPUs forces out the oldest records in order, then 'all' the rest", () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out), 32 * 1024, 16)
  const rand = rng(6)
  const all: Rec[] = []
  for (let round = 0; round < 20; round++) {
    for (let cpu = 0; cpu < 40; cpu++) {
      if (round === 0) merge.addCpu(cpu)
      if (cpu === 39) continue // never reports: only memory lets records go
      const recs = stream(cpu, Array.from({ length: 5 }, (_, i) => round * 1000 + i * 40 + cpu), round * 5 + 1)
      all.push(...recs)
      pushChunk(merge, cpu, recs, rand)
      merge.setWatermark(cpu, 0x00300000, round * 1000 + 999)
      assert.ok(merge.queuedBytes() <= 32 * 1024)
    }
    merge.release('watermark')
  }
  const forced = merge.stats.forced
  assert.ok(forced > 0 && forced === out.length)
  merge.release('all')
  assert.equal(merge.stats.forced, forced)
  assertOrdered(out)
  assert.deepEqual(out.map(key), all.sort(byMergeOrder).map(key))
  assert.equal(merge.stats.late, 0)
})
