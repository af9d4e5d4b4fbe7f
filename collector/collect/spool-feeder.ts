// Feeds capture segments, as far as they are written, through the pipeline: the one
// code path for replaying a spool after a crash, for `krelay archive --from`, and for
// the archive worker that follows what capture spools while it runs. Each sub-buffer
// is judged by decodeSubbuf (the reader's rules); each CPU's seq walk goes on across
// segments of the same channel.
import fs from 'node:fs'
import { captureEntryLength, decodeCaptureHeader, isCaptureHeaderCut, type CaptureMeta } from '../../formats/capture.ts'
import { dataView } from '../../formats/bytes.ts'
import { UnsupportedAbiError } from '../../formats/errors.ts'
import { createRecordView } from '../../formats/record.ts'
import { checkSubbufHeader, createSubbufHeader, HEADER_BAD_VERSION, readSubbufHeader } from '../../formats/subbuf-header.ts'
import { ABI_VERSION, SUBBUF_HDR } from '../../formats/wire.ts'
import { decodeSubbuf } from '../source/decode-subbuf.ts'
import { mmap } from '../source/mmap-io.ts'
import { createSeqState, type SeqState } from '../source/records.ts'
import type { Segment } from '../spool/segment.ts'
import type { Pipeline } from './pipeline.ts'

/** A segment being fed: read up to `pos`, with what was found in it so far. */
export interface FedSegment extends Segment {
  fd: number
  /** bytes of the file fed so far (header included) */
  pos: number
  subbufs: number
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
  private readonly seqStates = new Map<string, SeqState>()
  private readonly header = createSubbufHeader()
  private readonly rec = createRecordView()

  constructor (private readonly pipeline: Pipeline) {}

  /**
   * Opens a segment and starts its channel in the pipeline; null if a crash cut its
   * header short (it holds nothing). Throws naming the file if it is not a capture of
   * this ABI.
   */
  async open (file: string): Promise<FedSegment | null> {
    const fd = fs.openSync(file, 'r')
    let seg: FedSegment | null = null
    try {
      const head = Buffer.allocUnsafe(MAX_HEADER)
      const n = fs.readSync(fd, head, 0, head.length, 0)
      if (isCaptureHeaderCut(head.subarray(0, n))) return null
      const { meta, entriesOff } = decodeCaptureHeader(head.subarray(0, n), file)
      if (meta.abiVersion !== ABI_VERSION) throw new UnsupportedAbiError(meta.abiVersion, ` (capture ${file})`)
      seg = { file, meta, bytes: entriesOff, maxSeq: new Map(), closed: false, fd, pos: entriesOff, subbufs: 0 }
    } finally {
      if (seg === null) fs.closeSync(fd)
    }
    await this.pipeline.startChannel(seg.meta, [])
    return seg
  }

  /**
   * Feeds the whole sub-buffers in [seg.pos, end) of the file; returns how many bytes
   * at the end held no whole sub-buffer (left for a later call, or torn by a crash).
   */
  feedTo (seg: FedSegment, end: number): number {
    if (end <= seg.pos) return 0
    const bytes = end - seg.pos >= MAP_FROM ? mapRange(seg, end) : readRange(seg, end)
    let off = 0
    for (;;) {
      const len = captureEntryLength(bytes, off)
      if (len === 0) break
      this.feedOne(seg, bytes.subarray(off, off + len))
      off += len
    }
    seg.pos += off
    seg.bytes = seg.pos
    return end - seg.pos
  }

  /** The segment is complete: closes its file. */
  close (seg: FedSegment): void {
    if (seg.fd >= 0) fs.closeSync(seg.fd)
    seg.fd = -1
    seg.closed = true
  }

  private feedOne (seg: FedSegment, bytes: Buffer): void {
    const { meta, file } = seg
    const cpu = bytes.readUInt32LE(SUBBUF_HDR.cpu.offset)
    const header = this.header
    readSubbufHeader(dataView(bytes), 0, header)
    const status = checkSubbufHeader(header, cpu, meta.subbufSize)
    if (status === HEADER_BAD_VERSION) throw new UnsupportedAbiError(header.version, ` (capture ${file})`)
    const sub = decodeSubbuf(cpu, header.seq, bytes, header, status, this.seqState(meta, cpu), this.rec, header.watermarkHi, header.watermarkLo)
    this.pipeline.addSubbuf(sub)
    const subbufSeq = this.channelSeqs(meta.channelId)
    if (header.seq > (subbufSeq.get(cpu) ?? 0)) subbufSeq.set(cpu, header.seq)
    if (sub.lastRecordSeq > (seg.maxSeq.get(cpu) ?? 0)) seg.maxSeq.set(cpu, sub.lastRecordSeq)
    seg.subbufs++
  }

  private seqState (meta: CaptureMeta, cpu: number): SeqState {
    const key = `${meta.channelId}/${cpu}`
    let state = this.seqStates.get(key)
    if (state === undefined) this.seqStates.set(key, state = createSeqState())
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
