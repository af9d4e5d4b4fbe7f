// Reads capture segments back: for replay after a crash and for
// `krelay archive --from`. A segment is read whole (segments are bounded in
// size) and its sub-buffers are handed on as views, not copies.
import fs from 'node:fs'
import path from 'node:path'
import { decodeCaptureHeader, isCaptureHeaderCut, type CaptureMeta } from '../../formats/capture.ts'
import { walkEntries } from './entries.ts'
import { SEGMENT_SUFFIX, segmentNumber } from './segment.ts'

export interface CapturedSubbuf {
  cpu: number
  /** sub-buffer seq (version 1: from the sub-buffer's own header, unchecked) */
  seq: number
  /** where the entry starts in the file */
  offset: number
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
  /** damaged spans [from, to) of the file, skipped: what they held is lost */
  damaged: DamagedSpan[]
}

export interface DamagedSpan { from: number, to: number, why: string }

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
 * (isCaptureHeaderCut: it holds no sub-buffer, so skipping it loses nothing). Throws
 * CaptureHeaderError for any other bad header.
 */
export function readSegment (file: string): SegmentContents | null {
  const buf = fs.readFileSync(file)
  if (isCaptureHeaderCut(buf)) return null
  const { meta, entriesOff, version } = decodeCaptureHeader(buf, file)
  const subbufs: CapturedSubbuf[] = []
  const damaged: DamagedSpan[] = []
  const end = walkEntries(buf.subarray(entriesOff), version, meta.subbufSize, {
    entry: (cpu, seq, bytes, off) => subbufs.push({ cpu, seq, offset: entriesOff + off, bytes }),
    damage: (from, to, why) => damaged.push({ from: entriesOff + from, to: entriesOff + to, why }),
  })
  return { file, number: segmentNumber(path.basename(file)), meta, subbufs, tornBytes: buf.length - entriesOff - end, damaged }
}
