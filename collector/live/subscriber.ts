// One live subscriber as a consumer of the merge: its filter, its bounded queue, its
// skip count. Records it wants are copied as frames (formats/live.ts) into chunks of a
// pool it allocates as it grows and then reuses; at the end of each merge release the
// filled chunks are handed to the socket in one write each. A chunk comes back to the
// pool when its write completed; a release that filled little of one is written as a
// copy of its bytes, and the chunk comes back at once (else a queue of 64 chunks would
// hold 64 releases however small: 0.3 s of a 5 ms flush interval). What a subscriber
// holds, in the queue and in the socket, is bounded in bytes: when the bound is reached
// (the socket does not drain), records are skipped and counted, and a skipped frame
// goes before the next record it gets.
// Nothing here ever waits: a subscriber never slows the merge, the archive or the kernel.
import type { LossRow } from '../archive/index.ts'
import type { ChannelMeta, Consumer } from '../collect/consumer.ts'
import {
  CHANNEL_FRAME_SIZE, encodeEndFrame, END_STOPPING, FRAME_HDR_SIZE, LOSS_FRAME_SIZE, SKIPPED_FRAME_SIZE, writeChannelFrame,
  writeLossFrame, writeRecordFrame, writeSkippedFrame, type LossFields, type ReleasedKey,
} from '../../formats/live.ts'
import { recordLen, recordTsHi, recordTsLo } from '../../formats/record.ts'
import { isBelowU64 } from '../../formats/u64.ts'
import type { LiveFilter } from './filter.ts'

/** Where frames go: a net.Socket, or a test's fake. */
export interface FrameSink {
  write (chunk: Uint8Array, done: (err?: Error | null) => void): boolean
  end (chunk: Uint8Array): void
}

export interface SubscriberOptions {
  /** what the subscriber may hold, queued and in its socket: 4 MiB by default */
  queueBytes?: number
  /** the size of one chunk of the pool: 64 KiB by default */
  chunkBytes?: number
  /**
   * loss and channel frames are never skipped, so they may go beyond queueBytes; beyond
   * this many more bytes of them (a subscriber that reads nothing while losses go on),
   * the subscriber is given up: `onOverflow`
   */
  maxExtraBytes?: number
  onOverflow?: () => void
}

export interface SubscriberStats {
  /** records queued for the subscriber */
  records: number
  /** records it wanted but was too slow for */
  skipped: number
  losses: number
}

interface Chunk {
  readonly buf: Buffer
  readonly view: DataView
  used: number
  /** beyond the pool: dropped once written */
  readonly extra: boolean
  /** made once per chunk: no closure per write */
  readonly done: () => void
}

export class Subscriber implements Consumer {
  readonly stats: SubscriberStats = { records: 0, skipped: 0, losses: 0 }
  private readonly chunkBytes: number
  private readonly queueBytes: number
  private readonly maxExtraBytes: number
  private readonly free: Chunk[] = []
  private readonly filled: Chunk[] = []
  private current: Chunk | null = null
  private chunks = 0
  private extraBytes = 0
  /** bytes of small releases' copies handed to the socket and not yet written */
  private copiedBytes = 0
  /** skipped since the last skipped frame */
  private skipped = 0
  /** losses wait for the first record at or after their end, so they appear where they happened */
  private readonly pending: LossFields[] = []
  private ended = false

  constructor (private readonly sink: FrameSink, private readonly filter: LiveFilter, private readonly opts: SubscriberOptions = {}) {
    this.chunkBytes = opts.chunkBytes ?? 64 * 1024
    this.queueBytes = Math.max(2 * this.chunkBytes, opts.queueBytes ?? 4 * 1024 * 1024)
    this.maxExtraBytes = opts.maxExtraBytes ?? 1024 * 1024
  }

  channel (meta: ChannelMeta, released?: ReleasedKey): void {
    const mono = BigInt(meta.monoToRealtimeNs)
    const c = this.kept(CHANNEL_FRAME_SIZE)
    if (c !== null) c.used += writeChannelFrame(c.view, c.used, meta.channelId, Number(BigInt.asUintN(64, mono) >> 32n), Number(mono & 0xffffffffn), released)
  }

  record (view: DataView, off: number, cpu: number): void {
    if (this.pending.length !== 0) this.lossesBefore(recordTsHi(view, off), recordTsLo(view, off))
    if (!this.filter.accepts(view, off, cpu)) return
    const len = recordLen(view, off)
    const skipped = this.skipped
    const c = this.room(FRAME_HDR_SIZE + len + (skipped > 0 ? SKIPPED_FRAME_SIZE : 0))
    if (c === null) {
      this.skipped++
      this.stats.skipped++
      return
    }
    if (skipped > 0) {
      c.used += writeSkippedFrame(c.view, c.used, skipped)
      this.skipped = 0
    }
    c.used += writeRecordFrame(c.view, c.used, cpu, view, off, len)
    this.stats.records++
  }

  loss (row: LossRow): void {
    if (this.filter.wantsCpu(row.cpu)) this.pending.push({ ...row })
  }

  released (all: boolean): void {
    if (all) this.lossesBefore(0xffffffff, 0xffffffff, true)
    this.writeOut()
  }

  /** The stream ends: what is queued, then an end frame saying why. */
  end (text: string): void {
    if (this.ended) return
    if (this.skipped > 0) {
      // the last ones it missed: no record follows to carry the count
      const c = this.kept(SKIPPED_FRAME_SIZE)
      if (c !== null) c.used += writeSkippedFrame(c.view, c.used, this.skipped)
      this.skipped = 0
    }
    this.released(true)
    this.ended = true
    this.sink.end(encodeEndFrame(END_STOPPING, text))
  }

  /** Bytes held: queued and not yet written to the socket. */
  get heldBytes (): number {
    return (this.chunks - this.free.length) * this.chunkBytes + this.extraBytes + this.copiedBytes
  }

  private lossesBefore (hi: number, lo: number, all = false): void {
    const pending = this.pending
    let kept = 0
    for (let i = 0; i < pending.length; i++) {
      const loss = pending[i]!
      if (all || !isBelowU64(hi, lo, loss.toHi, loss.toLo)) {
        const c = this.kept(LOSS_FRAME_SIZE)
        if (c !== null) c.used += writeLossFrame(c.view, c.used, loss)
        this.stats.losses++
      } else {
        pending[kept++] = loss
      }
    }
    pending.length = kept
  }

  /** A chunk with `n` bytes free, or null when the pool is all in use. */
  private room (n: number): Chunk | null {
    const cur = this.current
    if (cur !== null && cur.used + n <= cur.buf.length) return cur
    if (cur !== null) {
      if (cur.used > 0) this.filled.push(cur)
      else this.free.push(cur)
      this.current = null
    }
    if (n > this.chunkBytes) {
      // a record larger than a chunk: a chunk of its own, only while nothing else is held
      if (this.heldBytes > 0) return null
      this.extraBytes += n
      return (this.current = this.newChunk(n, true))
    }
    if (this.heldBytes + this.chunkBytes > this.queueBytes) return null
    return (this.current = this.free.pop() ?? this.newChunk(this.chunkBytes, false))
  }

  /** Like room(), but a frame that is never skipped: beyond the pool if need be. */
  private kept (n: number): Chunk | null {
    const c = this.room(n)
    if (c !== null) return c
    if (this.extraBytes + n > this.maxExtraBytes) {
      this.opts.onOverflow?.()
      return null
    }
    this.extraBytes += n
    return (this.current = this.newChunk(n, true))
  }

  private newChunk (size: number, extra: boolean): Chunk {
    const buf = Buffer.allocUnsafe(size)
    if (!extra) this.chunks++
    const chunk: Chunk = {
      buf,
      view: new DataView(buf.buffer, buf.byteOffset, buf.length),
      used: 0,
      extra,
      done: () => this.recycle(chunk),
    }
    return chunk
  }

  private recycle (chunk: Chunk): void {
    chunk.used = 0
    if (chunk.extra) this.extraBytes -= chunk.buf.length
    else this.free.push(chunk)
  }

  private writeOut (): void {
    const cur = this.current
    if (cur !== null && cur.used > 0) {
      this.filled.push(cur)
      this.current = null
    }
    if (this.ended) return
    for (const c of this.filled) {
      if (c.extra || c.used > this.chunkBytes / 4) {
        this.sink.write(c.buf.subarray(0, c.used), c.done)
        continue
      }
      // one allocation per release, not per record
      const copy = Buffer.from(c.buf.subarray(0, c.used))
      this.copiedBytes += copy.length
      this.recycle(c)
      this.sink.write(copy, () => { this.copiedBytes -= copy.length })
    }
    this.filled.length = 0
  }
}
