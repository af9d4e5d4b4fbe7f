// struct krelay_subbuf_hdr: decode into a reusable view, validate, encode (PROTOCOL.md §3.1).
import { ABI_VERSION, SUBBUF_HDR as F, SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from './wire.ts'
import { readU64Safe, writeU64Halves, writeU64Number } from './u64.ts'
import { asDataView, type Bytes } from './bytes.ts'

export interface SubbufHeader {
  magic: number
  version: number
  hdrSize: number
  cpu: number
  nrecords: number
  /** -1 when the stored value is 2^53 or more */
  seq: number
  /** -1 when the stored value is 2^53 or more */
  commitSeq: number
  committed: number
  reserved: number
  firstTsHi: number
  firstTsLo: number
  lastTsHi: number
  lastTsLo: number
  /** -1 when the stored value is 2^53 or more */
  dropped: number
  watermarkHi: number
  watermarkLo: number
  reserved2Hi: number
  reserved2Lo: number
}

export function createSubbufHeader (): SubbufHeader {
  return {
    magic: 0,
    version: 0,
    hdrSize: 0,
    cpu: 0,
    nrecords: 0,
    seq: 0,
    commitSeq: 0,
    committed: 0,
    reserved: 0,
    firstTsHi: 0,
    firstTsLo: 0,
    lastTsHi: 0,
    lastTsLo: 0,
    dropped: 0,
    watermarkHi: 0,
    watermarkLo: 0,
    reserved2Hi: 0,
    reserved2Lo: 0,
  }
}

/** commit_seq of the header at `off` as an exact number, -1 if 2^53 or more. */
export function readCommitSeq (view: DataView, off: number): number {
  return readU64Safe(view, off + F.commit_seq.offset)
}

/** Decodes every field of the header at `off` into `into`; validates nothing. */
export function readSubbufHeader (view: DataView, off: number, into: SubbufHeader): SubbufHeader {
  into.magic = view.getUint32(off + F.magic.offset, true)
  into.version = view.getUint16(off + F.version.offset, true)
  into.hdrSize = view.getUint16(off + F.hdr_size.offset, true)
  into.cpu = view.getUint32(off + F.cpu.offset, true)
  into.nrecords = view.getUint32(off + F.nrecords.offset, true)
  into.seq = readU64Safe(view, off + F.seq.offset)
  into.commitSeq = readU64Safe(view, off + F.commit_seq.offset)
  into.committed = view.getUint32(off + F.committed.offset, true)
  into.reserved = view.getUint32(off + F.reserved.offset, true)
  into.firstTsLo = view.getUint32(off + F.first_ts.offset, true)
  into.firstTsHi = view.getUint32(off + F.first_ts.offset + 4, true)
  into.lastTsLo = view.getUint32(off + F.last_ts.offset, true)
  into.lastTsHi = view.getUint32(off + F.last_ts.offset + 4, true)
  into.dropped = readU64Safe(view, off + F.dropped.offset)
  into.watermarkLo = view.getUint32(off + F.watermark.offset, true)
  into.watermarkHi = view.getUint32(off + F.watermark.offset + 4, true)
  into.reserved2Lo = view.getUint32(off + F.reserved2.offset, true)
  into.reserved2Hi = view.getUint32(off + F.reserved2.offset + 4, true)
  return into
}

export const HEADER_OK = 0
export const HEADER_BAD_MAGIC = 1
/** Not corruption: another ABI. The consumer must stop and acknowledge nothing (§2). */
export const HEADER_BAD_VERSION = 2
export const HEADER_BAD_HDR_SIZE = 3
export const HEADER_BAD_CPU = 4
export const HEADER_COMMITTED_TOO_LARGE = 5
export const HEADER_SEQ_MISMATCH = 6
export const HEADER_DROPPED_TOO_LARGE = 7
export const HEADER_STATUS_NAMES = [
  'ok', 'bad magic', 'unsupported version', 'bad hdr_size', 'wrong cpu',
  'committed larger than the sub-buffer', 'seq differs from commit_seq', 'dropped is 2^53 or more',
] as const

/**
 * Validates a header read from the slot of sub-buffer `commitSeq` of `cpu` (§3.3).
 * Checks magic before version so that garbage is reported as corruption, not as an ABI change.
 */
export function checkSubbufHeader (h: SubbufHeader, cpu: number, subbufSize: number): number {
  if (h.magic !== SUBBUF_MAGIC) return HEADER_BAD_MAGIC
  if (h.version !== ABI_VERSION) return HEADER_BAD_VERSION
  if (h.hdrSize !== SUBBUF_HDR_SIZE) return HEADER_BAD_HDR_SIZE
  if (h.cpu !== cpu) return HEADER_BAD_CPU
  if (h.committed > subbufSize - SUBBUF_HDR_SIZE) return HEADER_COMMITTED_TOO_LARGE
  if (h.seq !== h.commitSeq) return HEADER_SEQ_MISMATCH
  if (h.dropped < 0) return HEADER_DROPPED_TOO_LARGE
  return HEADER_OK
}

/** Writes every field of `h` at `off` (for the simulator and tests). seq/commitSeq/dropped must be below 2^53. */
export function writeSubbufHeader (bytes: Bytes, off: number, h: SubbufHeader): void {
  const view = asDataView(bytes)
  view.setUint32(off + F.magic.offset, h.magic, true)
  view.setUint16(off + F.version.offset, h.version, true)
  view.setUint16(off + F.hdr_size.offset, h.hdrSize, true)
  view.setUint32(off + F.cpu.offset, h.cpu, true)
  view.setUint32(off + F.nrecords.offset, h.nrecords, true)
  writeU64Number(view, off + F.seq.offset, h.seq)
  writeU64Number(view, off + F.commit_seq.offset, h.commitSeq)
  view.setUint32(off + F.committed.offset, h.committed, true)
  view.setUint32(off + F.reserved.offset, h.reserved, true)
  writeU64Halves(view, off + F.first_ts.offset, h.firstTsHi, h.firstTsLo)
  writeU64Halves(view, off + F.last_ts.offset, h.lastTsHi, h.lastTsLo)
  writeU64Number(view, off + F.dropped.offset, h.dropped)
  writeU64Halves(view, off + F.watermark.offset, h.watermarkHi, h.watermarkLo)
  writeU64Halves(view, off + F.reserved2.offset, h.reserved2Hi, h.reserved2Lo)
}

/** Stores commit_seq alone, as the module does last when it closes a sub-buffer. */
export function writeCommitSeq (bytes: Bytes, off: number, commitSeq: number): void {
  writeU64Number(asDataView(bytes), off + F.commit_seq.offset, commitSeq)
}
