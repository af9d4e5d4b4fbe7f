import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Merge } from '../../../collector/merge/merge.ts'
import { compareU64 } from '../../../formats/u64.ts'
import { assertOrdered, decodeEmitted, key, pushChunk, type Rec } from './streams.ts'
import { seeded as rng } from '../../seeded.ts'

/**
 * Per-CPU streams with non-decreasing ts (equal ones frequent, some CPUs idle), on CPU
 * numbers with gaps added in any order, fed in random chunk sizes with watermarks that
 * follow what the producer has published, as the kernel does: W(c) <= ts of every
 * record of c not yet pushed. Windows of `windowRecords` (undefined: the default).
 */
function runRandom (seed: number, maxCpus: number, windowRecords?: number): void {
  const rand = rng(seed)
  const ncpu = 1 + Math.floor(rand() * maxCpus)
  const ids = new Set<number>()
  while (ids.size < ncpu) ids.add(Math.floor(rand() * ncpu * 3))
  const cpus = [...ids]
  const idle = new Set(cpus.filter(() => rand() < 0.25))
  const base = rand() < 0.5 ? 0 : 0x00300000 // half the cases beyond 2^53 ns
  const streams: Rec[][] = []
  for (const cpu of cpus) {
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
  const merge = new Merge(decodeEmitted(out), undefined, windowRecords)
  for (const cpu of cpus) merge.addCpu(cpu)
  const pos = streams.map(() => 0)
  // the watermark each CPU reported, [hi, lo]; [0, 0] until it reports one
  const wm = streams.map(() => [0, 0] as [number, number])
  const emitted = streams.map(() => 0)
  const what = `seed ${seed}, ${ncpu} CPUs, windows of ${windowRecords ?? 'default'}`
  let guard = 0
  while (pos.some((p, i) => p < streams[i]!.length) && guard++ < 100000) {
    const i = Math.floor(rand() * ncpu)
    const s = streams[i]!
    const take = Math.min(s.length - pos[i]!, Math.floor(rand() * 40))
    if (take > 0) pushChunk(merge, cpus[i]!, s.slice(pos[i], pos[i]! + take), rand)
    pos[i]! += take
    const next = s[pos[i]!]
    wm[i] = next !== undefined ? [next.hi, next.lo] : [base + 1000, 0]
    merge.setWatermark(cpus[i]!, wm[i][0], wm[i][1])
    if (rand() < 0.7) continue // several chunks per release, as a reader pass
    const before = out.length
    merge.release('watermark')
    const nextOf = streams.map((s, j) => s[pos[j]!])
    for (const r of out.slice(before)) {
      // nothing emitted may be at or above a CPU's watermark
      for (const n of nextOf) if (n !== undefined) assert.ok(compareU64(r.hi, r.lo, n.hi, n.lo) < 0, `${what}: emitted ${key(r)} before the watermark of CPU ${n.cpu} allowed`)
      emitted[cpus.indexOf(r.cpu)]!++
    }
    // and everything pushed below every CPU's watermark was emitted (a CPU's records come out in seq order)
    const [lowHi, lowLo] = [...wm].sort((a, b) => compareU64(a[0], a[1], b[0], b[1]))[0]!
    for (let j = 0; j < ncpu; j++) {
      const r = streams[j]![emitted[j]!]
      if (emitted[j]! < pos[j]!) assert.ok(compareU64(r!.hi, r!.lo, lowHi, lowLo) >= 0, `${what}: ${key(r!)} below every watermark was not emitted`)
    }
  }
  for (const cpu of cpus) merge.setWatermark(cpu, base + 2000, 0)
  merge.release('watermark')
  const total = streams.reduce((a, s) => a + s.length, 0)
  assert.equal(out.length, total, `${what}: every record emitted once`)
  assert.equal(new Set(out.map(key)).size, total, `${what}: no duplicates`)
  assertOrdered(out)
  assert.equal(merge.stats.late, 0)
  assert.equal(merge.stats.forced, 0)
  assert.equal(merge.queuedBytes(), 0)
}

test('random interleavings, idle CPUs and equal timestamps come out in (ts, cpu, seq) order, each once', () => {
  for (let seed = 1; seed <= 300; seed++) runRandom(seed, 6)
})

test('the same with up to 70 CPUs, in windows of 1 to 50 records (cut windows) and the default', () => {
  for (let seed = 1000; seed < 1060; seed++) {
    runRandom(seed, 70, 1 + (seed % 50))
    runRandom(seed, 70)
  }
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

test('release stops after the window that reaches `limit`; the next call goes on where it stopped, in order', () => {
  const out: Rec[] = []
  // windows of about 3 records
  const merge = new Merge(decodeEmitted(out), undefined, 3)
  merge.addCpu(0)
  merge.addCpu(1)
  const rand = rng(11)
  for (const cpu of [0, 1]) {
    pushChunk(merge, cpu, Array.from({ length: 5 }, (_, j) => ({ cpu, seq: j + 1, hi: 0, lo: 10 * j + cpu })), rand)
    merge.setWatermark(cpu, 0, 1000)
  }
  const first = merge.release('watermark', 3)
  assert.ok(first >= 3 && first < 10, `stopped early, after ${first}`)
  assert.equal(out.length, first)
  assert.equal(merge.release('all'), 10 - first)
  assert.equal(merge.release('all', 3), 0)
  assert.equal(out.length, 10)
  assertOrdered(out)
})
