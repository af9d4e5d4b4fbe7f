// A release window: the records the merge emits next, gathered from the CPUs' queues
// without consuming them, then sorted (window-sort.ts). A release with no other limit
// takes, of each CPU in ascending order, the longest prefix of its queue whose records
// are below the limit (a watermark; hi 2^32 for none), as a heap of stream heads would.
//
// A record's key is the highest ts of its CPU's records up to it, from the head on
// (ts less the window's lowest head ts). The protocol promises that ts never decreases
// on one CPU (PROTOCOL.md §3.3), and then this is the record's own ts; should a CPU's
// ts go back anyway, its records still keep their seq order (the ledger relies on it).
//
// Gathering reads each record's ts at its known offset (ChunkQueue.offs): independent
// loads, in each CPU's order, which bring the records into cache for the emit that
// follows. So a window is kept small (about `maxRecords`: its records and arrays fit
// in a core's L2), and a release that lets more go takes several windows: each CPU
// gets a share of the room, and when a CPU has more records than its share, the
// window is cut so that it stays a prefix of the merged order: it keeps what is below
// the first record left out, taken as (key, cpu, seq). That record's CPU keeps its
// whole share, so a cut window is never empty.
import { recordTsHi, recordTsLo } from '../../formats/record.ts'
import type { ChunkQueue } from './chunk-queue.ts'
import { WindowSort } from './window-sort.ts'

export class Window {
  readonly sort = new WindowSort()
  /** records gathered */
  size = 0
  /** the gathering left records below the limit out: gather again after emitting these */
  cut = false
  /** high half of the largest key */
  maxHi = 0
  /** CPUs with records in the window: with one, the gathering order is the order */
  cpus = 0
  // per CPU gathered: its number and its records' range in the sort's arrays
  private rangeCpu: number[] = []
  private rangeStart: number[] = []
  private rangeEnd: number[] = []
  // the first record left out, as (key, cpu)
  private outHi = 0
  private outLo = 0
  private outCpu = -1

  constructor (private readonly maxRecords: number) {}

  /**
   * Gathers from `queues` of `cpus` (ascending) the records below (limHi, limLo);
   * returns how many.
   */
  gather (queues: readonly ChunkQueue[], cpus: readonly number[], limHi: number, limLo: number): number {
    this.size = 0
    this.cut = false
    this.maxHi = 0
    this.outCpu = -1
    let baseHi = 0xffffffff
    let baseLo = 0xffffffff
    let streams = 0
    for (let i = 0; i < cpus.length; i++) {
      const q = queues[cpus[i]!]!
      if (q.bytes === 0) continue
      const hi = recordTsHi(q.view, q.off)
      const lo = recordTsLo(q.view, q.off)
      if (!(hi < limHi || (hi === limHi && lo < limLo))) continue
      streams++
      if (hi < baseHi || (hi === baseHi && lo < baseLo)) { baseHi = hi; baseLo = lo }
    }
    if (streams === 0) return 0
    let n = 0
    let ranges = 0
    for (let i = 0; i < cpus.length; i++) {
      const cpu = cpus[i]!
      const q = queues[cpu]!
      if (q.bytes === 0) continue
      const start = n
      n = this.gatherCpu(q, cpu, n, Math.max(1, Math.floor((this.maxRecords - n) / streams)), limHi, limLo, baseHi, baseLo)
      if (n === start) continue
      streams--
      this.rangeCpu[ranges] = cpu
      this.rangeStart[ranges] = start
      this.rangeEnd[ranges] = n
      ranges++
    }
    this.cpus = ranges
    if (this.outCpu >= 0) n = this.cutAt(ranges)
    this.size = n
    return n
  }

  /** Gathers at most `room` records of one CPU at `n`; returns the new end. */
  private gatherCpu (q: ChunkQueue, cpu: number, n: number, room: number, limHi: number, limLo: number, baseHi: number, baseLo: number): number {
    const offs = q.offs
    const tail = q.tail
    const end = n + room
    let view = q.view
    let chunkEnd = q.headChunkEnd
    let next = q.first
    let maxHi = 0
    let maxLo = 0
    let sort = this.sort
    for (let r = q.head; r < tail; r++) {
      if (r === chunkEnd) {
        view = q.views[next]!
        chunkEnd = q.chunkEnds[next++]!
      }
      const off = offs[r]!
      let hi = recordTsHi(view, off)
      let lo = recordTsLo(view, off)
      if (!(hi < limHi || (hi === limHi && lo < limLo))) break
      // a ts below its predecessor's takes the predecessor's (a branch never taken, so
      // predicted: a mispredicted one here would stall the loads that overlap)
      if (hi < maxHi || (hi === maxHi && lo < maxLo)) { hi = maxHi; lo = maxLo }
      maxHi = hi
      maxLo = lo
      // the key: (maxHi, maxLo) less the base, with the borrow
      const keyLo = (maxLo - baseLo) >>> 0
      const keyHi = maxHi - baseHi - (maxLo < baseLo ? 1 : 0)
      if (n === end) {
        this.leftOut(keyHi, keyLo, cpu)
        break
      }
      if (n === sort.capacity) {
        sort.grow(Math.max(n + 1, Math.min(this.maxRecords, n * 2)), n)
        sort = this.sort
      }
      sort.keyHi[n] = keyHi
      sort.keyLo[n] = keyLo
      sort.cpu[n] = cpu
      n++
    }
    if (n > 0 && sort.keyHi[n - 1]! > this.maxHi) this.maxHi = sort.keyHi[n - 1]!
    return n
  }

  /** A record of `cpu` with this key was left out for lack of room. */
  private leftOut (hi: number, lo: number, cpu: number): void {
    // CPUs come in ascending order, so an equal key of a later CPU is not lower
    if (this.outCpu < 0 || hi < this.outHi || (hi === this.outHi && lo < this.outLo)) {
      this.outHi = hi
      this.outLo = lo
      this.outCpu = cpu
    }
  }

  /** Keeps what is below the first record left out; returns the window's size. */
  private cutAt (ranges: number): number {
    const { keyHi, keyLo, cpu: cpus } = this.sort
    const outHi = this.outHi
    const outLo = this.outLo
    const outCpu = this.outCpu
    let w = 0
    let maxHi = 0
    let kept = 0
    for (let r = 0; r < ranges; r++) {
      const cpu = this.rangeCpu[r]!
      const end = this.rangeEnd[r]!
      let i = this.rangeStart[r]!
      // keys rise within a range: keep while (key, cpu) < (out key, out cpu); all of the out CPU's range
      for (; i < end; i++) {
        if (cpu === outCpu) continue
        const hi = keyHi[i]!
        const lo = keyLo[i]!
        if (!(hi < outHi || (hi === outHi && (lo < outLo || (lo === outLo && cpu < outCpu))))) break
      }
      if (i > this.rangeStart[r]!) kept++
      for (let j = this.rangeStart[r]!; j < i; j++, w++) {
        keyHi[w] = keyHi[j]!
        keyLo[w] = keyLo[j]!
        cpus[w] = cpus[j]!
        if (keyHi[w]! > maxHi) maxHi = keyHi[w]!
      }
    }
    this.cut = true
    this.maxHi = maxHi
    this.cpus = kept
    return w
  }
}
