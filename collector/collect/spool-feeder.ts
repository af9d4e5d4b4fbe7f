// Feeds capture segments, as far as they are written, through the pipeline: the one
// code path for replaying a spool after a crash, for `krelay archive --from`, and for
// the archive worker that follows what capture spools while it runs. Each sub-buffer
// is judged by decodeSubbuf (the reader's rules); each CPU's seq walk goes on across
// segments of the same channel.
//
// Bad input never stops the feed (formats/CAPTURE.md, "Damage"): a damaged span is logged
// once with its file and offset and skipped to the next good entry, and every CPU of the
// channel then takes its next record as a resynchronization, so the records the span held
// become `corrupt` loss rows with their seq range (records.ts). A segment with a bad header
// is skipped the same way. A sub-buffer fed already (same channel, CPU and sub-buffer seq:
// a segment copied twice) is skipped.
import fs from 'node:fs'
import { CaptureHeaderError, decodeCaptureHeader, isCaptureHeaderCut, type CaptureMeta } from '../../formats/capture.ts'
import { dataView } from '../../formats/bytes.ts'
import { createRecordView } from '../../formats/record.ts'
import { checkSubbufHeader, createSubbufHeader, HEADER_COMMITTED_TOO_LARGE, HEADER_OK, readSubbufHeader } from '../../formats/subbuf-header.ts'
import { ABI_VERSION, SUBBUF_HDR_SIZE } from '../../formats/wire.ts'
import { decodeSubbuf } from '../source/decode-subbuf.ts'
import { mmap } from '../source/mmap-io.ts'
import { createSeqState, skipCorruptSubbuf, type SeqState } from '../source/records.ts'
import { walkEntries } from '../spool/entries.ts'
import type { Segment } from '../spool/segment.ts'
import type { Pipeline } from './pipeline.ts'

/** A segment being fed: read up to `pos`, with what was found in it so far. */
export interface FedSegment extends Segment {
  fd: number
  /** bytes of the file fed so far (header included) */
  pos: number
  subbufs: number
  /** capture format version (1: no frames) */
  version: number
  /** sub-buffers skipped: fed already from another segment */
  duplicates: number
  /** sub-buffers whose content failed the sub-buffer checks (logged: the first) */
  faults: number
}

/** Bytes of a capture header at most (48 + a host name of at most 64 KiB, rounded up). */
const MAX_HEADER = 48 + 65536 + 8
/**
 * From this many bytes on, a range is mapped instead of read: its pages are in the page
 * cache (capture just wrote them), and a mapping shares them where read() copies them
 * into a buffer of their size. A reader pass's few KiB are read (a mapping per pass costs
 * more than it saves).
 */
const MAP_FROM = 1 << 20

export class SpoolFeeder {
  /** per channel and CPU, the highest sub-buffer seq fed */
  readonly subbufSeq = new Map<string, Map<number, number>>()
  /** segments skipped for a bad header (logged) */
  readonly damagedSegments: string[] = []
  /** damaged spans skipped inside segments (each logged) */
  damagedSpans = 0
  /** sub-buffers skipped as copies of ones fed already (logged per segment) */
  duplicates = 0
  private readonly seqStates = new Map<string, SeqState>()
  /** channels in which something was damaged, torn or copied */
  private readonly damaged = new Set<string>()
  private readonly header = createSubbufHeader()
  private readonly rec = createRecordView()

  constructor (private readonly pipeline: Pipeline, private readonly log: (line: string) => void = () => {}) {}

  /**
   * Opens a segment and starts its channel in the pipeline; null if a crash cut its header
   * short (it holds nothing), or if its header is bad (logged, in damagedSegments: what it
   * held shows as a `corrupt` gap before the next records of its channel).
   */
  async open (file: string): Promise<FedSegment | null> {
    const fd = fs.openSync(file, 'r')
    let seg: FedSegment | null = null
    try {
      const head = Buffer.allocUnsafe(MAX_HEADER)
      const n = fs.readSync(fd, head, 0, head.length, 0)
      if (isCaptureHeaderCut(head.subarray(0, n))) return null
      const { meta, entriesOff, version } = decodeCaptureHeader(head.subarray(0, n), file)
      if (meta.abiVersion !== ABI_VERSION) throw new CaptureHeaderError(`${file}: holds sub-buffers of ABI version ${meta.abiVersion} (this collector reads ${ABI_VERSION})`)
      seg = { file, meta, bytes: entriesOff, maxSeq: new Map(), closed: false, fd, pos: entriesOff, subbufs: 0, version, duplicates: 0, faults: 0 }
    } catch (err) {
      if (!(err instanceof CaptureHeaderError)) throw err
      this.damagedSegments.push(file)
      this.log(`${err.message}: segment skipped; what it held is archived as corrupt loss rows where the records after it show how much`)
      for (const state of this.seqStates.values()) skipCorruptSubbuf(state)
      return null
    } finally {
      if (seg === null) fs.closeSync(fd)
    }
    await this.pipeline.startChannel(seg.meta, [])
    return seg
  }

  /**
   * Feeds the whole sub-buffers in [seg.pos, end) of the file, skipping damaged spans;
   * returns how many bytes at the end held no whole sub-buffer (left for a later call, or
   * torn by a crash).
   */
  feedTo (seg: FedSegment, end: number): number {
    if (end <= seg.pos) return 0
    const bytes = end - seg.pos >= MAP_FROM ? mapRange(seg, end) : readRange(seg, end)
    const base = seg.pos
    const used = walkEntries(bytes, seg.version, seg.meta.subbufSize, {
      entry: (cpu, seq, entry, off) => this.feedOne(seg, cpu, seq, entry, base + off),
      damage: (from, to, why) => this.skipDamage(seg, base + from, base + to, why),
    })
    seg.pos += used
    seg.bytes = seg.pos
    // a tail not written whole: if nothing takes it up again, the next records show the gap
    if (used < bytes.length) this.resync(seg.meta.channelId)
    return end - seg.pos
  }

  /** The segment is complete: closes its file. */
  close (seg: FedSegment): void {
    if (seg.fd >= 0) fs.closeSync(seg.fd)
    seg.fd = -1
    seg.closed = true
    if (seg.faults > 1) this.log(`${seg.file}: ${seg.faults - 1} more sub-buffers failed their checks; their records are archived as corrupt loss rows`)
    if (seg.duplicates > 0) this.log(`${seg.file}: ${seg.duplicates} sub-buffers skipped: fed already from an earlier segment (a copy?)`)
  }

  private skipDamage (seg: FedSegment, from: number, to: number, why: string): void {
    this.damagedSpans++
    this.log(`${seg.file}: bytes ${from}..${to} are damaged (${why}): skipped to byte ${to}; ` +
      'what they held is archived as corrupt loss rows where the records after them show how much')
    this.resync(seg.meta.channelId)
  }

  /**
   * Something of the channel is missing (damage, a torn tail) or out of place (a copy):
   * it held sub-buffers of any CPU, so each CPU takes its next record as a resync, and a
   * gap before it becomes a `corrupt` loss (records.ts). Costs nothing when nothing is missing.
   */
  private resync (channelId: string): void {
    this.damaged.add(channelId)
    const prefix = `${channelId}/`
    for (const [key, state] of this.seqStates) if (key.startsWith(prefix)) skipCorruptSubbuf(state)
  }

  private feedOne (seg: FedSegment, cpu: number, seq: number, bytes: Buffer, offset: number): void {
    const { meta } = seg
    const header = this.header
    readSubbufHeader(dataView(bytes), 0, header)
    let status = checkSubbufHeader(header, cpu, meta.subbufSize)
    // version 1 gives the header's seq, to be trusted only when the header is
    if (seg.version === 1 && status !== HEADER_OK) seq = -1
    const subbufSeq = this.channelSeqs(meta.channelId)
    if (seq >= 0 && seq <= (subbufSeq.get(cpu) ?? -1)) {
      seg.duplicates++
      this.duplicates++
      this.resync(meta.channelId)
      return
    }
    // A jump in a CPU's sub-buffer seqs with no damage seen means capture was lapped
    // (PROTOCOL.md §8) or a whole segment went: walkSubbuf counts the gap as a collector loss.
    // an entry must hold exactly what its header commits (a header that failed at capture is spooled alone)
    if (status === HEADER_OK && bytes.length !== SUBBUF_HDR_SIZE + header.committed) status = HEADER_COMMITTED_TOO_LARGE
    const sub = decodeSubbuf(cpu, seq < 0 ? header.seq : seq, bytes, header, status, this.seqState(meta, cpu), this.rec, header.watermarkHi, header.watermarkLo)
    if (sub.fault !== null && seg.faults++ === 0) {
      this.log(`${seg.file}: the sub-buffer at byte ${offset} (cpu ${cpu}, seq ${seq}) failed its checks: ${sub.fault.where} ${sub.fault.description}; ` +
        'its records are archived as corrupt loss rows')
    }
    // nothing of a header that failed its checks is trusted, its watermark neither
    if (sub.fault?.where === 'header') { sub.header.watermarkHi = 0; sub.header.watermarkLo = 0 }
    this.pipeline.addSubbuf(sub)
    if (seq > (subbufSeq.get(cpu) ?? -1)) subbufSeq.set(cpu, seq)
    if (sub.lastRecordSeq > (seg.maxSeq.get(cpu) ?? 0)) seg.maxSeq.set(cpu, sub.lastRecordSeq)
    seg.subbufs++
  }

  private seqState (meta: CaptureMeta, cpu: number): SeqState {
    const key = `${meta.channelId}/${cpu}`
    let state = this.seqStates.get(key)
    if (state === undefined) {
      this.seqStates.set(key, state = createSeqState())
      // A CPU first seen after damage: the damage may have held its first records (the
      // archive says where they start if it holds any of the CPU; else nothing can say:
      // the spool may begin anywhere, its older segments archived and deleted), or, when a
      // copy of an earlier segment follows it, later ones (records.ts: damageUnplaced).
      state.damageUnplaced = this.damaged.has(meta.channelId) || this.damagedSegments.length > 0
      const durable = state.damageUnplaced ? this.pipeline.state.durableSeq('records', meta.channelId, cpu) : 0
      if (durable > 0) state.expectSeq = durable + 1
    }
    return state
  }

  private channelSeqs (channelId: string): Map<number, number> {
    let m = this.subbufSeq.get(channelId)
    if (m === undefined) this.subbufSeq.set(channelId, m = new Map())
    return m
  }
}

/** Bytes [seg.pos, end) of the segment's file, or as far as the file goes. */
function readRange (seg: FedSegment, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - seg.pos)
  let got = 0
  while (got < buf.length) {
    const n = fs.readSync(seg.fd, buf, got, buf.length - got, seg.pos + got)
    if (n === 0) break
    got += n
  }
  return got < buf.length ? buf.subarray(0, got) : buf
}

/**
 * readRange's bytes, mapped (read-only, shared; unmapped once the merge let go of them
 * and they are garbage collected). Never past the file's end: that would fault.
 */
function mapRange (seg: FedSegment, end: number): Buffer {
  end = Math.min(end, fs.fstatSync(seg.fd).size)
  if (end <= seg.pos) return Buffer.alloc(0)
  const start = seg.pos - seg.pos % mmap.PAGESIZE
  let mapped: Buffer
  try {
    mapped = mmap.map(end - start, mmap.PROT_READ, mmap.MAP_SHARED | mmap.MAP_POPULATE, seg.fd, start, mmap.MADV_SEQUENTIAL)
  } catch (err) {
    throw new Error(`${seg.file}: cannot map bytes ${start}..${end} of the spool segment: ${(err as Error).message}`, { cause: err })
  }
  return mapped.subarray(seg.pos - start)
}
