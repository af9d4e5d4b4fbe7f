// What capture needs to know of a spool before it appends to it, without reading the
// records: which segments are there (the archive worker feeds them first), how many
// bytes they hold (the --spool-budget counts them), the highest sub-buffer seq per
// channel and CPU (the reader resumes after it), and which segments a crash cut short
// before their header was whole. Reads only the entries' 80-byte headers.
import fs from 'node:fs'
import path from 'node:path'
import { decodeCaptureHeader, isCaptureHeaderCut } from '../../formats/capture.ts'
import { SUBBUF_HDR, SUBBUF_HDR_SIZE } from '../../formats/wire.ts'
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
  /** per channel and CPU, the highest sub-buffer seq in the spool */
  subbufSeq: Map<string, Map<number, number>>
  /** the highest segment number in the directory, 0 if none */
  lastNumber: number
  /** bytes of all segments */
  bytes: number
}

const MAX_HEADER = 48 + 65536 + 8

export function scanSpool (dir: string): SpoolScan {
  const scan: SpoolScan = { segments: [], cut: [], subbufSeq: new Map(), lastNumber: 0, bytes: 0 }
  const entry = Buffer.alloc(SUBBUF_HDR_SIZE)
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
      const { meta, entriesOff } = decodeCaptureHeader(head.subarray(0, n), file)
      let seqs = scan.subbufSeq.get(meta.channelId)
      if (seqs === undefined) scan.subbufSeq.set(meta.channelId, seqs = new Map())
      for (let off = entriesOff; off + SUBBUF_HDR_SIZE <= size;) {
        if (fs.readSync(fd, entry, 0, SUBBUF_HDR_SIZE, off) < SUBBUF_HDR_SIZE) break
        const len = SUBBUF_HDR_SIZE + entry.readUInt32LE(SUBBUF_HDR.committed.offset)
        if (off + len > size) break // a tail a crash cut short: never acknowledged
        const cpu = entry.readUInt32LE(SUBBUF_HDR.cpu.offset)
        const seq = entry.readUInt32LE(SUBBUF_HDR.seq.offset) + entry.readUInt32LE(SUBBUF_HDR.seq.offset + 4) * 2 ** 32
        if (seq > (seqs.get(cpu) ?? 0)) seqs.set(cpu, seq)
        off += len
      }
      scan.segments.push({ file, bytes: size })
      scan.bytes += size
    } finally {
      fs.closeSync(fd)
    }
  }
  return scan
}
