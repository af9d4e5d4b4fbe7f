import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Merge } from '../../../collector/merge/merge.ts'
import { recordSeq, recordTsHi, recordTsLo, writeRecord } from '../../../formats/record.ts'
import { compareU64 } from '../../../formats/u64.ts'

interface Rec { cpu: number, seq: number, hi: number, lo: number }

/** Deterministic PRNG so a failing case can be replayed from its seed. */
function rng (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Records of one CPU encoded into one chunk, with payloads of varying length. */
function chunk (recs: Rec[], rand: () => number): Buffer {
  const bufs = recs.map(r => {
    const payload = Buffer.alloc(Math.floor(rand() * 40), r.seq & 0xff)
    const buf = Buffer.alloc(48 + payload.length + 8)
    const len = writeRecord(buf, 0, {
      type: 1, kind: 2, level: 6, seq: r.seq, tsHi: r.hi, tsLo: r.lo, pid: r.cpu, ctx: 0, comm: 't',
    }, payload)
    return buf.subarray(0, len)
  })
  return Buffer.concat(bufs)
}

function pushChunk (merge: Merge, cpu: number, recs: Rec[], rand: () => number): void {
  const buf = chunk(recs, rand)
  merge.push(cpu, new DataView(buf.buffer, buf.byteOffset, buf.length), 0, buf.length)
}

function decodeEmitted (out: Rec[]) {
  return (view: DataView, off: number, cpu: number): void => {
    out.push({
      cpu,
      seq: recordSeq(view, off),
      lo: recordTsLo(view, off),
      hi: recordTsHi(view, off),
    })
  }
}

function key (r: Rec): string {
  return `${r.cpu}:${r.seq}`
}

function assertOrdered (out: Rec[]): void {
  for (let i = 1; i < out.length; i++) {
    const a = out[i - 1]!
    const b = out[i]!
    const c = compareU64(a.hi, a.lo, b.hi, b.lo) || a.cpu - b.cpu || a.seq - b.seq
    assert.ok(c < 0, `record ${i} (${key(b)}) is not after ${key(a)}`)
  }
}

/**
 * Per-CPU streams with non-decreasing ts (equal ones frequent, some CPUs idle),
 * fed in random chunk sizes with watermarks that follow what the producer has
 * published, as the kernel does: W(c) <= ts of every record of c not yet pushed.
 */
function runRandom (seed: number): void {
  const rand = rng(seed)
  const ncpu = 1 + Math.floor(rand() * 6)
  const idle = new Set([...Array(ncpu).keys()].filter(() => rand() < 0.25))
  const base = rand() < 0.5 ? 0 : 0x00300000 // half the cases beyond 2^53 ns
  const streams: Rec[][] = []
  for (let cpu = 0; cpu < ncpu; cpu++) {
    const n = idle.has(cpu) ? 0 : Math.floor(rand() * 300)
    const recs: Rec[] = []
    let t = Math.floor(rand() * 50)
    for (let i = 0; i < n; i++) {
      t += rand() < 0.3 ? 0 : Math.floor(rand() * 20)
      recs.push({ cpu, seq: i + 1, hi: base + Math.floor(t / 1000), lo: (t % 1000) * 4000000 })
    }
    streams.push(recs)
  }
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out))
  for (let cpu = 0; cpu < ncpu; cpu++) merge.addCpu(cpu)
  const pos = streams.map(() => 0)
  let guard = 0
  while (pos.some((p, c) => p < streams[c]!.length) && guard++ < 100000) {
    const cpu = Math.floor(rand() * ncpu)
    const s = streams[cpu]!
    const take = Math.min(s.length - pos[cpu]!, Math.floor(rand() * 40))
    if (take > 0) pushChunk(merge, cpu, s.slice(pos[cpu], pos[cpu]! + take), rand)
    pos[cpu]! += take
    const next = s[pos[cpu]!]
    if (next !== undefined) merge.setWatermark(cpu, next.hi, next.lo)
    else merge.setWatermark(cpu, base + 1000, 0)
    const before = out.length
    merge.release('watermark')
    // nothing emitted may be at or above a CPU's watermark
    for (const r of out.slice(before)) {
      for (let c = 0; c < ncpu; c++) {
        const nextOf = streams[c]![pos[c]!]
        if (nextOf !== undefined) assert.ok(compareU64(r.hi, r.lo, nextOf.hi, nextOf.lo) < 0, `seed ${seed}: emitted ${key(r)} before the watermark of CPU ${c} allowed`)
      }
    }
  }
  for (let cpu = 0; cpu < ncpu; cpu++) merge.setWatermark(cpu, base + 2000, 0)
  merge.release('watermark')
  const total = streams.reduce((a, s) => a + s.length, 0)
  assert.equal(out.length, total, `seed ${seed}: every record emitted once`)
  assert.equal(new Set(out.map(key)).size, total, `seed ${seed}: no duplicates`)
  assertOrdered(out)
  assert.equal(merge.stats.late, 0)
  assert.equal(merge.stats.forced, 0)
  assert.equal(merge.queuedBytes(), 0)
}

test('random interleavings, idle CPUs and equal timestamps come out in (ts, cpu, seq) order, each once', () => {
  for (let seed = 1; seed <= 300; seed++) runRandom(seed)
})

test('an idle CPU holds records back only until its watermark passes them', () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out))
  merge.addCpu(0)
  merge.addCpu(1)
  const rand = rng(7)
  pushChunk(merge, 0, [{ cpu: 0, seq: 1, hi: 0, lo: 100 }, { cpu: 0, seq: 2, hi: 0, lo: 200 }], rand)
  merge.setWatermark(0, 0, 1000)
  assert.equal(merge.release('watermark'), 0, 'CPU 1 has reported nothing yet')
  merge.setWatermark(1, 0, 150)
  assert.equal(merge.release('watermark'), 1)
  merge.setWatermark(1, 0, 200)
  assert.equal(merge.release('watermark'), 0, 'a record at exactly the watermark waits: an equal ts may still come from a lower CPU')
  merge.setWatermark(1, 0, 201)
  assert.equal(merge.release('watermark'), 1)
  assert.deepEqual(out.map(key), ['0:1', '0:2'])
})

test('watermarks never move back', () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out))
  merge.addCpu(0)
  pushChunk(merge, 0, [{ cpu: 0, seq: 1, hi: 5, lo: 0 }], rng(1))
  merge.setWatermark(0, 6, 0)
  merge.setWatermark(0, 1, 0)
  assert.equal(merge.release('watermark'), 1)
})

test('equal timestamps across CPUs come out by CPU number', () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out))
  for (const cpu of [3, 1, 2]) merge.addCpu(cpu)
  const rand = rng(3)
  for (const cpu of [3, 1, 2]) {
    pushChunk(merge, cpu, [{ cpu, seq: 1, hi: 9, lo: 9 }, { cpu, seq: 2, hi: 9, lo: 9 }], rand)
    merge.setWatermark(cpu, 10, 0)
  }
  merge.release('watermark')
  assert.deepEqual(out.map(key), ['1:1', '1:2', '2:1', '2:2', '3:1', '3:2'])
})

test('memory stays bounded when a watermark stalls: the oldest records are forced out and counted', () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out), 64 * 1024)
  merge.addCpu(0)
  merge.addCpu(1)
  const rand = rng(9)
  for (let i = 0; i < 100; i++) {
    const recs = Array.from({ length: 20 }, (_, j) => ({ cpu: 0, seq: i * 20 + j + 1, hi: 0, lo: i * 1000 + j }))
    pushChunk(merge, 0, recs, rand)
    assert.ok(merge.queuedBytes() <= 64 * 1024, `queued ${merge.queuedBytes()} bytes`)
  }
  assert.ok(merge.stats.forced > 0)
  assert.equal(merge.stats.late, 0)
  assertOrdered(out)
})

test('a record older than one already emitted is passed on and counted as late', () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out))
  merge.addCpu(0)
  merge.addCpu(1)
  const rand = rng(4)
  pushChunk(merge, 0, [{ cpu: 0, seq: 1, hi: 0, lo: 500 }], rand)
  merge.release('all')
  pushChunk(merge, 1, [{ cpu: 1, seq: 1, hi: 0, lo: 100 }], rand)
  merge.release('all')
  assert.equal(out.length, 2)
  assert.equal(merge.stats.late, 1)
})

test('pushing to a CPU that was never added is an error, not a silent loss', () => {
  const merge = new Merge(() => {})
  assert.throws(() => merge.push(5, new DataView(new ArrayBuffer(48)), 0, 48), /CPU 5 was never added/)
})

test('release takes at most `limit` records; the next call goes on where it stopped, in order', () => {
  const out: Rec[] = []
  const merge = new Merge(decodeEmitted(out))
  merge.addCpu(0)
  merge.addCpu(1)
  const rand = rng(11)
  for (const cpu of [0, 1]) {
    pushChunk(merge, cpu, Array.from({ length: 5 }, (_, j) => ({ cpu, seq: j + 1, hi: 0, lo: 10 * j + cpu })), rand)
    merge.setWatermark(cpu, 0, 1000)
  }
  assert.equal(merge.release('watermark', 3), 3)
  assert.equal(merge.release('watermark', 3), 3)
  assert.equal(merge.release('all', 3), 3)
  assert.equal(merge.release('all', 3), 1)
  assert.equal(merge.release('all', 3), 0)
  assert.equal(out.length, 10)
  assertOrdered(out)
})
