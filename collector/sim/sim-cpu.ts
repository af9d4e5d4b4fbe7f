// One simulated per-CPU relay buffer in no-overwrite mode, with krelay's sub-buffer
// headers (PROTOCOL.md §3): opens and closes sub-buffers, reserves records, counts drops.
import { ABI_VERSION, SUBBUF_HDR as H, SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from '../../formats/wire.ts'
import { createSubbufHeader, writeCommitSeq, writeSubbufHeader } from '../../formats/subbuf-header.ts'
import { writeU64Halves } from '../../formats/u64.ts'
import { dataView } from '../../formats/bytes.ts'

export class SimCpu {
  online = true
  /** seq of the open sub-buffer, 0 when none is open (the buffer was full) */
  openSeq = 0
  /** write offset inside the open sub-buffer */
  private openOff = 0
  private openRecords = 0
  /** the open sub-buffer's `dropped` */
  private openDropped = 0
  private firstTsHi = 0
  private firstTsLo = 0
  private lastTsHi = 0
  private lastTsLo = 0
  /** seq of the last complete sub-buffer */
  produced = 0
  /** highest acknowledged sub-buffer seq */
  consumed = 0
  /**
   * relay's own count of consumed sub-buffers (buf->subbufs_consumed), which decides when a
   * slot is reused. Acks move it as the module's krelay_ack() does; relay's read() of the
   * cpu file moves it alone (relayRead).
   */
  relayConsumed = 0
  nextRecordSeq = 1
  /** records dropped since the previous sub-buffer completed, for the next header */
  private pendingDropped = 0
  /** the watermark as stats shows it: published after the sub-buffers it covers are complete */
  watermarkHi = 0
  watermarkLo = 0
  /** the time of the CPU's last flush (the module's kc->now): what a closing sub-buffer's header says */
  private nowHi = 0
  private nowLo = 0
  written = 0
  dropped = 0
  tooBig = 0
  filtered = 0
  private readonly header = createSubbufHeader()
  /** the mapping as a DataView, for the encoders */
  readonly view: DataView

  /**
   * @param map the buffer, writable and shared with the file consumers map
   * @param staleCommitOnOpen leave the previous lap's commit_seq in a slot when opening it,
   *   as a module may, instead of clearing it
   */
  constructor (
    readonly cpu: number,
    readonly map: Buffer,
    readonly subbufSize: number,
    readonly nSubbufs: number,
    private readonly staleCommitOnOpen: boolean
  ) {
    this.view = dataView(map)
    this.tryOpen()
  }

  slotOffset (seq: number): number {
    return ((seq - 1) % this.nSubbufs) * this.subbufSize
  }

  /** Opens sub-buffer produced + 1 unless every slot holds an unconsumed one. */
  tryOpen (): boolean {
    if (this.openSeq !== 0) return true
    if (this.produced - this.relayConsumed >= this.nSubbufs) return false
    const seq = this.produced + 1
    const off = this.slotOffset(seq)
    const h = this.header
    h.magic = SUBBUF_MAGIC
    h.version = ABI_VERSION
    h.hdrSize = SUBBUF_HDR_SIZE
    h.cpu = this.cpu
    h.seq = seq
    h.dropped = this.pendingDropped
    this.openDropped = this.pendingDropped
    const staleLo = this.map.readUInt32LE(off + H.commit_seq.offset)
    const staleHi = this.map.readUInt32LE(off + H.commit_seq.offset + 4)
    writeSubbufHeader(this.view, off, h)
    if (this.staleCommitOnOpen) writeU64Halves(this.view, off + H.commit_seq.offset, staleHi, staleLo)
    this.pendingDropped = 0
    this.openSeq = seq
    this.openOff = SUBBUF_HDR_SIZE
    this.openRecords = 0
    return true
  }

  /** called when produced moves, before the sub-buffer's commit_seq is stored (RelaySim publishes stats) */
  onProduced?: () => void

  /** Fills in the open sub-buffer's header and stores commit_seq last. */
  close (): void {
    const seq = this.openSeq
    if (seq === 0) return
    const off = this.slotOffset(seq)
    const m = this.view
    m.setUint32(off + H.nrecords.offset, this.openRecords, true)
    m.setUint32(off + H.committed.offset, this.openOff - SUBBUF_HDR_SIZE, true)
    writeU64Halves(m, off + H.first_ts.offset, this.firstTsHi, this.firstTsLo)
    writeU64Halves(m, off + H.last_ts.offset, this.lastTsHi, this.lastTsLo)
    writeU64Halves(m, off + H.watermark.offset, this.nowHi, this.nowLo)
    // produced before commit_seq, as the module does: a reader that finds the sub-buffer
    // complete never reads stats that do not show it yet (it would take that for a reload)
    this.produced = seq
    this.onProduced?.()
    writeCommitSeq(m, off, seq)
    this.openSeq = 0
    this.firstTsHi = this.firstTsLo = this.lastTsHi = this.lastTsLo = 0
  }

  /** Closes the open sub-buffer and opens the next, as relay's sub-buffer switch does. */
  switchSubbuf (): void {
    this.close()
    this.tryOpen()
  }

  /**
   * Takes a sequence number for a record of `len` bytes and returns the byte offset in the
   * mapping where it goes, or -1 when it is dropped (every sub-buffer unconsumed). The caller
   * writes the record there with seq `nextRecordSeq - 1`.
   */
  reserve (len: number, tsHi: number, tsLo: number): number {
    this.nextRecordSeq++
    if (this.openSeq !== 0 && this.openOff + len > this.subbufSize) this.switchSubbuf()
    else if (this.openSeq === 0) this.tryOpen()
    if (this.openSeq === 0) {
      this.dropped++
      this.pendingDropped++
      return -1
    }
    const at = this.slotOffset(this.openSeq) + this.openOff
    this.openOff += len
    if (this.openRecords === 0) { this.firstTsHi = tsHi; this.firstTsLo = tsLo }
    this.lastTsHi = tsHi
    this.lastTsLo = tsLo
    this.openRecords++
    this.written++
    return at
  }

  /**
   * The flush of PROTOCOL.md §4: open a sub-buffer if none is open and a slot is free (it
   * reports pending drops), close it if it holds a record or reports drops, then W = now.
   */
  flush (nowHi: number, nowLo: number): void {
    this.nowHi = nowHi
    this.nowLo = nowLo
    this.tryOpen()
    if (this.openSeq !== 0 && (this.openRecords > 0 || this.openDropped > 0)) this.switchSubbuf()
    // after the close: a reader that sees this watermark in stats finds the sub-buffer complete
    this.watermarkHi = nowHi
    this.watermarkLo = nowLo
  }

  /** The timer's flush (§4): nothing while the consumer is behind and records are open, or none is. */
  timerFlush (nowHi: number, nowLo: number): void {
    if (this.consumed < this.produced && (this.openSeq === 0 || this.openRecords > 0)) return
    this.flush(nowHi, nowLo)
  }

  /** The CPU comes online: W = now, with nothing to close yet. */
  startWatermark (nowHi: number, nowLo: number): void {
    this.nowHi = this.watermarkHi = nowHi
    this.nowLo = this.watermarkLo = nowLo
  }

  /** Unload: the open sub-buffer is closed even when empty. */
  unload (nowHi: number, nowLo: number): void {
    this.nowHi = nowHi
    this.nowLo = nowLo
    this.close()
    this.watermarkHi = nowHi
    this.watermarkLo = nowLo
  }

  /** `ack <cpu> <seq>`; throws an EINVAL error above produced, ignores seq at or below consumed. */
  ack (seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.produced) {
      throw Object.assign(new Error(`ack ${this.cpu} ${seq}: EINVAL (produced is ${this.produced})`), { code: 'EINVAL' })
    }
    if (seq <= this.consumed) return
    this.relaySubbufsConsumed(seq - this.consumed)
    this.consumed = seq
  }

  /** relay_subbufs_consumed(): ignores more than n_subbufs at once, never passes produced. */
  private relaySubbufsConsumed (n: number): void {
    if (n > this.nSubbufs) return
    this.relayConsumed = n > this.produced - this.relayConsumed ? this.produced : this.relayConsumed + n
  }

  /**
   * A read() of the cpu file to its end (PROTOCOL.md §3 forbids it): relay consumes every
   * complete sub-buffer by itself, behind the acknowledgements; `consumed` does not move.
   */
  relayRead (): void {
    this.relayConsumed = this.produced
  }
}
