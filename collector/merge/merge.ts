// The k-way merge of per-CPU record streams into one stream ordered by
// (ts, cpu, seq). Each CPU's stream is already in order (PROTOCOL.md §3.3); a record is
// released only when it is older than every CPU's watermark (§4), that is when no CPU
// can still produce an older one. A release takes the records it lets go in windows
// (window.ts) of a few thousand records each: of every CPU, the prefix below the limit,
// gathered CPUs ascending into typed arrays and sorted by ts with a stable radix sort
// (window-sort.ts), then emitted in that order. That costs the same per record
// whatever the number of CPUs, where a heap of stream heads paid log2(k) unpredictable
// comparisons per record (bench/merge.ts: 64 streams ran at half the rate of 2, now at
// 0.84-0.93x). With 2 to 4 CPUs and nothing else to do, the heap was faster (the
// merge alone, 4 CPUs: 52 against 34-38 M records/s); within decode and merge the two
// measured alike. Records stay in the chunk buffers they arrived in (DataView reads:
// several times faster than Buffer's here); nothing is allocated per record.
import type { ReleasedKey } from '../../formats/live.ts'
import { recordLen, recordSeq, recordTsHi, recordTsLo } from '../../formats/record.ts'
import { compareU64, isBelowU64, TWO_POW_32 } from '../../formats/u64.ts'
import { ChunkQueue } from './chunk-queue.ts'
import { Window } from './window.ts'

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

/**
 * Records in one window, about: a larger release takes several. 8192 records of the
 * generator's size and the window's arrays (24 bytes a record) fit a core's 1 MiB L2,
 * so what the gathering brought into cache is still there when emitted; 4096 to 16384
 * measured the same in bench/merge.ts, 64K and more slower with many streams.
 */
export const WINDOW_RECORDS = 8192

export class Merge {
  readonly stats: MergeStats = { emitted: 0, forced: 0, late: 0 }
  private readonly queues: ChunkQueue[] = []
  /** CPUs added, ascending: the window gathers them in this order, so equal ts come out by CPU */
  private readonly cpus: number[] = []
  private readonly wmHi: number[] = []
  private readonly wmLo: number[] = []
  private readonly window: Window
  /** the highest (ts, cpu, seq) emitted; lastCpu -1: none yet */
  private lastHi = 0
  private lastLo = 0
  private lastCpu = -1
  private lastSeq = 0
  private queued = 0

  /**
   * @param maxQueuedBytes beyond this, the oldest records are emitted regardless of watermarks ('memory')
   * @param windowRecords records sorted at once at most
   */
  constructor (private readonly emit: EmitRecord, private readonly maxQueuedBytes = 256 * 1024 * 1024, windowRecords = WINDOW_RECORDS) {
    this.window = new Window(windowRecords)
  }

  /** A CPU takes part from now on: nothing passes its watermark until it reports one. */
  addCpu (cpu: number): void {
    if (this.queues[cpu] !== undefined) return
    this.queues[cpu] = new ChunkQueue()
    this.wmHi[cpu] = 0
    this.wmLo[cpu] = 0
    let i = this.cpus.length
    this.cpus.push(cpu)
    for (; i > 0 && this.cpus[i - 1]! > cpu; i--) this.cpus[i] = this.cpus[i - 1]!
    this.cpus[i] = cpu
  }

  /** Queues the records in buf[start, end) of one CPU, which follow its earlier ones. */
  push (cpu: number, view: DataView, start: number, end: number): void {
    const queue = this.queueOf(cpu)
    if (start >= end) return
    queue.push(view, start, end)
    this.queued += end - start
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
   * Emits what `mode` releases (see ReleaseMode), in order; returns how many records.
   * With a `limit`, it stops after the window in which `limit` records were reached (the
   * caller releases in slices to do other work between them; the rest stays queued): a
   * result of `limit` or more means there may be more. When the emit callback throws,
   * the record it was given and all after it stay queued.
   */
  release (mode: ReleaseMode, limit = Infinity): number {
    let limHi = TWO_POW_32
    let limLo = 0
    if (mode === 'watermark') {
      if (this.cpus.length === 0) return 0
      limHi = limLo = Infinity
      for (const cpu of this.cpus) {
        const hi = this.wmHi[cpu]!
        const lo = this.wmLo[cpu]!
        if (hi < limHi || (hi === limHi && lo < limLo)) { limHi = hi; limLo = lo }
      }
    }
    const forced = mode === 'memory'
    const target = forced ? this.maxQueuedBytes / 2 : -1
    let n = 0
    // one window at a time: again while one was cut, or until 'memory' brings the queue down to target
    for (;;) {
      if (this.queued <= target || this.window.gather(this.queues, this.cpus, limHi, limLo) === 0) return n
      n += this.emitWindow(forced, target)
      if ((!this.window.cut && !forced) || (!forced && n >= limit)) return n
    }
  }

  queuedBytes (): number {
    return this.queued
  }

  /** Emits the gathered window in order (when `forced`, only until `target` bytes are queued); returns how many. */
  private emitWindow (forced: boolean, target: number): number {
    const size = this.window.size
    const window = this.window
    const order = window.cpus > 1 ? window.sort.sort(size, window.maxHi) : window.sort.cpu
    const queues = this.queues
    const emit = this.emit
    const stats = this.stats
    let i = 0
    for (; i < size && this.queued > target; i++) {
      const cpu = order[i]!
      // a stream's records come out in its order: each is the head of its queue
      const q = queues[cpu]!
      const view = q.view
      const off = q.off
      const hi = recordTsHi(view, off)
      const lo = recordTsLo(view, off)
      const c = compareU64(hi, lo, this.lastHi, this.lastLo)
      if (c < 0) {
        stats.late++
      } else {
        const seq = recordSeq(view, off)
        if (c > 0 || cpu > this.lastCpu || (cpu === this.lastCpu && seq > this.lastSeq)) {
          this.lastHi = hi
          this.lastLo = lo
          this.lastCpu = cpu
          this.lastSeq = seq
        }
      }
      emit(view, off, cpu)
      stats.emitted++
      if (forced) stats.forced++
      const len = recordLen(view, off)
      this.queued -= len
      q.advance(len)
    }
    return i
  }

  /** Fills `into` with the highest (ts, cpu, seq) emitted so far and returns true; false if none was. */
  highestEmitted (into: ReleasedKey): boolean {
    if (this.lastCpu < 0) return false
    into.tsHi = this.lastHi
    into.tsLo = this.lastLo
    into.cpu = this.lastCpu
    into.seq = this.lastSeq
    return true
  }

  private queueOf (cpu: number): ChunkQueue {
    const q = this.queues[cpu]
    if (q === undefined) throw new Error(`merge: CPU ${cpu} was never added`)
    return q
  }
}
