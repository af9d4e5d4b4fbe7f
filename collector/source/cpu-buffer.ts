// One CPU's relay buffer, mapped: finds the next complete sub-buffer (PROTOCOL.md §3.1).
import { SUBBUF_HDR } from '../../formats/wire.ts'
import { checkSubbufHeader, readSubbufHeader, type SubbufHeader } from '../../formats/subbuf-header.ts'
import { dataView } from '../../formats/bytes.ts'
import { TWO_POW_32 } from '../../formats/u64.ts'

/** poll() result when sub-buffer `next` is not complete yet. */
export const NOT_READY = -1

export class CpuBuffer {
  /** the mapping as u32 words, for atomic loads of commit_seq */
  private readonly words: Uint32Array
  private readonly view: DataView

  /**
   * @param map the whole mapping, subbufSize * nSubbufs bytes
   * @param next sequence number of the next sub-buffer to consume
   */
  constructor (
    readonly cpu: number,
    readonly map: Buffer,
    readonly subbufSize: number,
    readonly nSubbufs: number,
    public next: number
  ) {
    if (map.length !== subbufSize * nSubbufs) throw new RangeError(`mapping of cpu ${cpu} is ${map.length} bytes, expected ${subbufSize * nSubbufs}`)
    if (map.byteOffset % 8 !== 0) throw new RangeError('mapping is not 8-byte aligned')
    this.words = new Uint32Array(map.buffer, map.byteOffset, map.length >>> 2)
    this.view = dataView(map)
  }

  /** Byte offset in the mapping of the slot that holds sub-buffer `seq`. */
  slotOffset (seq: number): number {
    return ((seq - 1) % this.nSubbufs) * this.subbufSize
  }

  /**
   * Whether sub-buffer `next` is complete: its slot's commit_seq equals `next`. Reads
   * commit_seq alone, with atomic (ordered) loads, so reads of the header that follow
   * cannot see bytes older than it.
   */
  isReady (): boolean {
    const word = (this.slotOffset(this.next) + SUBBUF_HDR.commit_seq.offset) >>> 2
    const lo = Atomics.load(this.words, word)
    const hi = Atomics.load(this.words, word + 1)
    return lo === this.next % TWO_POW_32 && hi === Math.floor(this.next / TWO_POW_32)
  }

  /**
   * NOT_READY, or: sub-buffer `next` is complete, its header is decoded into `into`, and the
   * result is its HEADER_* status. Does not advance `next`.
   */
  poll (into: SubbufHeader): number {
    if (!this.isReady()) return NOT_READY
    readSubbufHeader(this.view, this.slotOffset(this.next), into)
    return checkSubbufHeader(into, this.cpu, this.subbufSize)
  }

  /** The sub-buffer's header and committed bytes, a view of the mapping (clamped to the slot). */
  subbufBytes (seq: number, committed: number, hdrSize: number): Buffer {
    const start = this.slotOffset(seq)
    const length = Math.min(hdrSize + committed, this.subbufSize)
    return this.map.subarray(start, start + length)
  }
}
