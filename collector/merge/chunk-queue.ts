// One CPU's pending records: a FIFO of chunks (the records of one sub-buffer
// each) and a cursor on the head record, whose ts is kept at hand: the merge's
// heap compares heads far more often than they change. Chunks are consumed in
// order and dropped once their last record has been passed on.
import { recordTsHi, recordTsLo } from '../../formats/record.ts'

const EMPTY = new DataView(new ArrayBuffer(0))

export class ChunkQueue {
  /** view and offset of the head record while the queue is not empty */
  view: DataView = EMPTY
  off = 0
  /** ts of the head record while the queue is not empty */
  tsHi = 0
  tsLo = 0
  /** record bytes still queued, the head record included */
  bytes = 0
  private end = 0
  private readonly views: DataView[] = []
  private readonly starts: number[] = []
  private readonly ends: number[] = []
  private first = 0

  get empty (): boolean {
    return this.bytes === 0
  }

  push (view: DataView, start: number, end: number): void {
    if (this.bytes === 0) this.load(view, start, end)
    else { this.views.push(view); this.starts.push(start); this.ends.push(end) }
    this.bytes += end - start
  }

  /** Moves past the head record of `len` bytes; false when the queue is now empty. */
  advance (len: number): boolean {
    this.off += len
    this.bytes -= len
    if (this.off < this.end) {
      this.readTs()
      return true
    }
    if (this.first === this.views.length) {
      this.views.length = this.starts.length = this.ends.length = this.first = 0
      this.view = EMPTY
      return false
    }
    const i = this.first++
    this.load(this.views[i]!, this.starts[i]!, this.ends[i]!)
    this.views[i] = EMPTY
    if (this.first > 64 && this.first * 2 > this.views.length) this.compact()
    return true
  }

  private load (view: DataView, start: number, end: number): void {
    this.view = view
    this.off = start
    this.end = end
    this.readTs()
  }

  private readTs (): void {
    this.tsHi = recordTsHi(this.view, this.off)
    this.tsLo = recordTsLo(this.view, this.off)
  }

  private compact (): void {
    this.views.splice(0, this.first)
    this.starts.splice(0, this.first)
    this.ends.splice(0, this.first)
    this.first = 0
  }
}
