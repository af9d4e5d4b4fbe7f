// What capture needs to know of a spool before it appends to it, without reading the
// records: which segments are there (the archive worker feeds them first), how many
// bytes they hold (the --spool-budget counts them), the highest sub-buffer seq per
// channel and CPU (the reader resumes after it), and which segments a crash cut short
// before their header was whole, or whose header is bad. Reads only the frame headers,
// and whole only the frame with each CPU's highest seq, to check its CRC; a version-1
// segment, or one whose frames look damaged, is read whole.
import fs from 'node:fs'
import path from 'node:path'
import { CaptureHeaderError, decodeCaptureHeader, isCaptureHeaderCut } from '../../formats/capture.ts'
import { checkFrame, createFrameView, FRAME_HDR, FRAME_HDR_SIZE, FRAME_MAGIC, FRAME_OK, framePadding } from '../../formats/capture-frame.ts'
import { dataView } from '../../formats/bytes.ts'
import { checkSubbufHeader, createSubbufHeader, HEADER_OK, readSubbufHeader } from '../../formats/subbuf-header.ts'
import { SUBBUF_HDR_SIZE } from '../../formats/wire.ts'
import { walkEntries } from './entries.ts'
import { segmentNumber } from './segment.ts'
import { listSegments } from './spool-reader.ts'

export interface ScannedSegment {
  file: string
  /** the file's size when scanned */
  bytes: number
}

export interface SpoolScan {
  /** segments with a whole header, in write order */
  segments: ScannedSegment[]
  /** segments whose header a crash cut short: they hold nothing */
  cut: string[]
  /** segments whose header is bad (not cut short): kept, never fed; why for each */
  damaged: Array<{ file: string, why: string }>
  /** per channel and CPU, the highest sub-buffer seq in the spool */
  subbufSeq: Map<string, Map<number, number>>
  /** the highest segment number in the directory, 0 if none */
  lastNumber: number
  /** bytes of all segments */
  bytes: number
}

const MAX_HEADER = 48 + 65536 + 8

export function scanSpool (dir: string): SpoolScan {
  const scan: SpoolScan = { segments: [], cut: [], damaged: [], subbufSeq: new Map(), lastNumber: 0, bytes: 0 }
  for (const file of listSegments(dir)) {
    scan.lastNumber = Math.max(scan.lastNumber, segmentNumber(path.basename(file)))
    const fd = fs.openSync(file, 'r')
    try {
      const size = fs.fstatSync(fd).size
      const head = Buffer.allocUnsafe(Math.min(size, MAX_HEADER))
      const n = fs.readSync(fd, head, 0, head.length, 0)
      if (isCaptureHeaderCut(head.subarray(0, n))) {
        scan.cut.push(file)
        continue
      }
      let header
      try {
        header = decodeCaptureHeader(head.subarray(0, n), file)
      } catch (err) {
        if (!(err instanceof CaptureHeaderError)) throw err
        scan.damaged.push({ file, why: err.message })
        scan.bytes += size
        continue
      }
      const { meta, entriesOff, version } = header
      let seqs = scan.subbufSeq.get(meta.channelId)
      if (seqs === undefined) scan.subbufSeq.set(meta.channelId, seqs = new Map())
      const found = (version === 2 ? frameSeqs(fd, size, entriesOff, meta.subbufSize) : null) ?? verifiedSeqs(file, entriesOff, version, meta.subbufSize)
      for (const [cpu, seq] of found) if (seq > (seqs.get(cpu) ?? 0)) seqs.set(cpu, seq)
      scan.segments.push({ file, bytes: size })
      scan.bytes += size
    } finally {
      fs.closeSync(fd)
    }
  }
  return scan
}

/**
 * The highest sub-buffer seq per CPU from the frame headers alone, each CPU's found frame
 * then checked whole (its CRC): capture acknowledges up to these seqs, so a damaged seq
 * must not count. Null when any frame header looks wrong (verifiedSeqs reads it all).
 */
function frameSeqs (fd: number, size: number, entriesOff: number, subbufSize: number): Map<number, number> | null {
  const hdr = Buffer.alloc(FRAME_HDR_SIZE)
  const best = new Map<number, { seq: number, off: number, len: number }>()
  let off = entriesOff
  while (off + FRAME_HDR_SIZE <= size) {
    if (fs.readSync(fd, hdr, 0, FRAME_HDR_SIZE, off) < FRAME_HDR_SIZE) break
    const len = hdr.readUInt32LE(FRAME_HDR.len.offset)
    if (hdr.readUInt32LE(0) !== FRAME_MAGIC || len < SUBBUF_HDR_SIZE || len > subbufSize) return null
    const next = off + FRAME_HDR_SIZE + len + framePadding(len)
    if (next > size) break // a tail a crash cut short: never acknowledged
    const cpu = hdr.readUInt32LE(FRAME_HDR.cpu.offset)
    const seq = hdr.readUInt32LE(FRAME_HDR.seq.offset) + hdr.readUInt32LE(FRAME_HDR.seq.offset + 4) * 2 ** 32
    if (seq > (best.get(cpu)?.seq ?? 0)) best.set(cpu, { seq, off, len })
    off = next
  }
  const view = createFrameView()
  const seqs = new Map<number, number>()
  for (const [cpu, { seq, off: at, len }] of best) {
    const whole = Buffer.allocUnsafe(FRAME_HDR_SIZE + len + framePadding(len))
    if (fs.readSync(fd, whole, 0, whole.length, at) < whole.length || checkFrame(whole, 0, subbufSize, view) !== FRAME_OK) return null
    seqs.set(cpu, seq)
  }
  return seqs
}

/** The highest sub-buffer seq per CPU of the entries that read whole and good (entries.ts). */
function verifiedSeqs (file: string, entriesOff: number, version: number, subbufSize: number): Map<number, number> {
  const seqs = new Map<number, number>()
  const buf = fs.readFileSync(file).subarray(entriesOff)
  const h = createSubbufHeader()
  walkEntries(buf, version, subbufSize, {
    entry: (cpu, seq, bytes) => {
      // version 1's seq is the sub-buffer header's own: trusted only if the header is
      if (version === 1 && checkSubbufHeader(readSubbufHeader(dataView(bytes), 0, h), cpu, subbufSize) !== HEADER_OK) return
      if (seq > (seqs.get(cpu) ?? 0)) seqs.set(cpu, seq)
    },
    damage: () => {},
  })
  return seqs
}
