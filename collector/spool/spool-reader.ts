// Reads capture segments back: for replay after a crash and for
// `krelay archive --from`. A segment is read whole (segments are bounded in
// size) and its sub-buffers are handed on as views, not copies.
import fs from 'node:fs'
import path from 'node:path'
import { captureEntryLength, decodeCaptureHeader, isCaptureHeaderCut, type CaptureMeta } from '../../formats/capture.ts'
import { SUBBUF_HDR } from '../../formats/wire.ts'
import { SEGMENT_SUFFIX, segmentNumber } from './segment.ts'

export interface CapturedSubbuf {
  cpu: number
  /** header and committed bytes of one sub-buffer */
  bytes: Buffer
}

export interface SegmentContents {
  file: string
  number: number
  meta: CaptureMeta
  subbufs: CapturedSubbuf[]
  /** bytes at the end that do not hold a whole sub-buffer (a write cut short by a crash) */
  tornBytes: number
}

/** Segment files of a spool directory in write order. */
export function listSegments (dir: string): string[] {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return names.filter(n => n.endsWith(SEGMENT_SUFFIX) && segmentNumber(n) >= 0).sort().map(n => path.join(dir, n))
}

/**
 * The segment's header and sub-buffers; null for a segment whose header a crash cut short
 * (isCaptureHeaderCut: it holds no sub-buffer, so skipping it loses nothing).
 */
export function readSegment (file: string): SegmentContents | null {
  const buf = fs.readFileSync(file)
  if (isCaptureHeaderCut(buf)) return null
  const { meta, entriesOff } = decodeCaptureHeader(buf, file)
  const subbufs: CapturedSubbuf[] = []
  let off = entriesOff
  for (;;) {
    const len = captureEntryLength(buf, off)
    if (len === 0) break
    subbufs.push({ cpu: buf.readUInt32LE(off + SUBBUF_HDR.cpu.offset), bytes: buf.subarray(off, off + len) })
    off += len
  }
  return { file, number: segmentNumber(path.basename(file)), meta, subbufs, tornBytes: buf.length - off }
}
