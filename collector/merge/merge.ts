// The k-way merge of per-CPU record streams into one stream ordered by
// (ts, cpu, seq). Each CPU's stream is already in order (PROTOCOL.md §3.3), so
// the merge keeps one head per CPU in a binary heap and emits the smallest head
// while it is older than every CPU's watermark (§4): a record is released only
// when no CPU can still produce an older one. Records stay in the chunk buffers
// they arrived in (DataView reads: several times faster than Buffer's here);
// nothing is allocated per record.
import { recordLen } from '../../formats/record.ts'
import { isBelowU64 } from '../../formats/u64.ts'
import { ChunkQueue } from './chunk-queue.ts'

/** Receives each record in order: a view of the chunk holding it and its offset. */
export type EmitRecord = (view: DataView, off: number, cpu: number) => void

export interface MergeStats {
  /** records emitted */
  emitted: number
  /** records emitted before the watermarks allowed it, to keep memory bounded */
  forced: number
  /** records that arrived older than a record already emitted */
  late: number
}

/**
 * What release() emits, one mode per occasion (as perf's ordered-events flush modes):
 *
 *   'watermark'  every record older than all CPUs' watermarks: after each reader pass,
 *                once its watermarks are set
 *   'all'        everything queued, in order, whatever the watermarks: at the end of a
 *                channel, or when the collector stops
 *   'memory'     the oldest records, whatever the watermarks, until at most half of
 *                maxQueuedBytes is queued: when push() takes the queue above
 *                maxQueuedBytes; each record counts in stats.forced
 */
export type ReleaseMode = 'watermark' | 'all' | 'memory'

export class Merge {
  readonly stats: MergeStats = { emitted: 0, forced: 0, late: 0 }
  private readonly queues: ChunkQueue[] = []
  /** CPU numbers of queues with a head record, ordered as a heap by head (ts, cpu) */
  private readonly heap: number[] = []
  private readonly inHeap: boolean[] = []
  private readonly wmHi: number[] = []
  private readonly wmLo: number[] = []
  private readonly cpus: number[] = []
  private lastHi = 0
  private lastLo = 0
  private queued = 0

  /** @param maxQueuedBytes beyond this, the oldest records are emitted regardless of watermarks ('memory') */
  constructor (private readonly emit: EmitRecord, private readonly maxQueuedBytes = 256 * 1024 * 1024) {}

  /** A CPU takes part from now on: nothing passes its watermark until it reports one. */
  addCpu (cpu: number): void {
    if (this.queues[cpu] !== undefined) return
    this.queues[cpu] = new ChunkQueue()
    this.inHeap[cpu] = false
    this.wmHi[cpu] = 0
    this.wmLo[cpu] = 0
    this.cpus.push(cpu)
  }

  /** Queues the records in buf[start, end) of one CPU, which follow its earlier ones. */
  push (cpu: number, view: DataView, start: number, end: number): void {
    const queue = this.queueOf(cpu)
    if (start >= end) return
    queue.push(view, start, end)
    this.queued += end - start
    if (!this.inHeap[cpu]) this.heapInsert(cpu)
    if (this.queued > this.maxQueuedBytes) this.release('memory')
  }

  /** No record of `cpu` still to come has a ts below (hi, lo). Watermarks only move forward. */
  setWatermark (cpu: number, hi: number, lo: number): void {
    this.queueOf(cpu)
    if (isBelowU64(this.wmHi[cpu]!, this.wmLo[cpu]!, hi, lo)) {
      this.wmHi[cpu] = hi
      this.wmLo[cpu] = lo
    }
  }

  /**
   * Emits what `mode` releases (see ReleaseMode), in order, but at most `limit` records
   * (the caller releases in slices to do other work between them: the rest stays queued
   * for the next call); returns how many records.
   */
  release (mode: ReleaseMode, limit = Infinity): number {
    if (mode === 'all') return this.releaseAll(limit)
    if (mode === 'memory') return this.releaseUntilBelow(this.maxQueuedBytes / 2)
    return this.releaseBelowWatermarks(limit)
  }

  queuedBytes (): number {
    return this.queued
  }

  private releaseBelowWatermarks (limit: number): number {
    if (this.cpus.length === 0) return 0
    let minHi = Infinity
    let minLo = Infinity
    for (const cpu of this.cpus) {
      const hi = this.wmHi[cpu]!
      const lo = this.wmLo[cpu]!
      if (hi < minHi || (hi === minHi && lo < minLo)) { minHi = hi; minLo = lo }
    }
    let n = 0
    while (this.heap.length > 0 && n < limit) {
      const cpu = this.heap[0]!
      const q = this.queues[cpu]!
      if (!isBelowU64(q.tsHi, q.tsLo, minHi, minLo)) break
      this.emitHead()
      n++
    }
    return n
  }

  private releaseAll (limit: number): number {
    let n = 0
    while (this.heap.length > 0 && n < limit) { this.emitHead(); n++ }
    return n
  }

  private releaseUntilBelow (bytes: number): number {
    let n = 0
    while (this.heap.length > 0 && this.queued > bytes) {
      this.emitHead()
      this.stats.forced++
      n++
    }
    return n
  }

  private emitHead (): void {
    const cpu = this.heap[0]!
    const q = this.queues[cpu]!
    const view = q.view
    const off = q.off
    const hi = q.tsHi
    const lo = q.tsLo
    if (isBelowU64(hi, lo, this.lastHi, this.lastLo)) this.stats.late++
    else { this.lastHi = hi; this.lastLo = lo }
    this.emit(view, off, cpu)
    this.stats.emitted++
    const len = recordLen(view, off)
    this.queued -= len
    if (q.advance(len)) this.siftDown(0)
    else this.heapRemoveTop()
  }

  private queueOf (cpu: number): ChunkQueue {
    const q = this.queues[cpu]
    if (q === undefined) throw new Error(`merge: CPU ${cpu} was never added`)
    return q
  }

  private before (a: number, b: number): boolean {
    const qa = this.queues[a]!
    const qb = this.queues[b]!
    if (qa.tsHi !== qb.tsHi) return qa.tsHi < qb.tsHi
    if (qa.tsLo !== qb.tsLo) return qa.tsLo < qb.tsLo
    return a < b
  }

  private heapInsert (cpu: number): void {
    const heap = this.heap
    heap.push(cpu)
    this.inHeap[cpu] = true
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(heap[i]!, heap[parent]!)) break
      const t = heap[i]!; heap[i] = heap[parent]!; heap[parent] = t
      i = parent
    }
  }

  private heapRemoveTop (): void {
    const heap = this.heap
    this.inHeap[heap[0]!] = false
    const last = heap.pop()!
    if (heap.length === 0) return
    heap[0] = last
    this.siftDown(0)
  }

  private siftDown (i: number): void {
    const heap = this.heap
    const n = heap.length
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) return
      const r = l + 1
      const c = r < n && this.before(heap[r]!, heap[l]!) ? r : l
      if (!this.before(heap[c]!, heap[i]!)) return
      const t = heap[i]!; heap[i] = heap[c]!; heap[c] = t
      i = c
    }
  }
}
