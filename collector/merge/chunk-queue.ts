// One CPU's pending records: a FIFO of chunks (the records of one sub-buffer
// each), a cursor on the head record, and the offset of every queued record in a
// typed array (offs[head..tail), chunk by chunk). The offsets are found when a
// chunk is pushed, right after the decoder walked it and while it is in cache.
// Gathering a release window then reads each record's ts at a known offset:
// independent loads the CPU overlaps, where walking records one length after the
// other would wait on each, and they bring the records into cache for the emit
// that follows. Chunks are consumed in order and dropped once their last record
// has been passed on; the offset array is compacted, or doubled, when full.
import { recordLen } from '../../formats/record.ts'

const EMPTY = new DataView(new ArrayBuffer(0))

export class ChunkQueue {
  /** view and offset of the head record while the queue is not empty */
  view: DataView = EMPTY
  off = 0
  /** record bytes still queued, the head record included */
  bytes = 0
  /** offsets of the queued records in their chunks, the head's at index head, up to tail */
  offs = new Uint32Array(1024)
  head = 0
  tail = 0
  /** index in offs past the head chunk's last record */
  headChunkEnd = 0
  /** the chunks after the head's, index first on, and the index in offs past each one's last record */
  readonly views: DataView[] = []
  readonly chunkEnds: number[] = []
  first = 0

  get empty (): boolean {
    return this.bytes === 0
  }

  push (view: DataView, start: number, end: number): void {
    if (start >= end) return
    let tail = this.tail
    for (let off = start; off < end; off += recordLen(view, off)) {
      if (tail === this.offs.length) {
        this.tail = tail
        tail = this.makeRoom()
      }
      this.offs[tail++] = off
    }
    this.tail = tail
    if (this.bytes === 0) {
      this.view = view
      this.off = start
      this.headChunkEnd = tail
    } else {
      this.views.push(view)
      this.chunkEnds.push(tail)
    }
    this.bytes += end - start
  }

  /** Moves past the head record of `len` bytes; false when the queue is now empty. */
  advance (len: number): boolean {
    this.bytes -= len
    const head = ++this.head
    if (head < this.headChunkEnd) {
      this.off = this.offs[head]!
      return true
    }
    if (this.first === this.views.length) {
      this.views.length = this.chunkEnds.length = this.first = 0
      this.head = this.tail = this.headChunkEnd = 0
      this.view = EMPTY
      return false
    }
    const i = this.first++
    this.view = this.views[i]!
    this.headChunkEnd = this.chunkEnds[i]!
    this.off = this.offs[head]!
    this.views[i] = EMPTY
    if (this.first > 64 && this.first * 2 > this.views.length) {
      this.views.splice(0, this.first)
      this.chunkEnds.splice(0, this.first)
      this.first = 0
    }
    return true
  }

  /** Moves the queued offsets to the start, doubling the array when it is more than half full; returns the new tail. */
  private makeRoom (): number {
    const head = this.head
    const n = this.tail - head
    if (n * 2 > this.offs.length) {
      const offs = new Uint32Array(this.offs.length * 2)
      offs.set(this.offs.subarray(head, this.tail))
      this.offs = offs
    } else {
      this.offs.copyWithin(0, head, this.tail)
    }
    this.head = 0
    this.tail = n
    this.headChunkEnd -= head
    for (let i = this.first; i < this.chunkEnds.length; i++) this.chunkEnds[i]! -= head
    return n
  }
}
