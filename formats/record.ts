// struct krelay_record_hdr: decode into a reusable view, encode, and get comm/payload
// only when asked (PROTOCOL.md §3.2). readRecord allocates nothing.
import { COMM_LEN, RECORD_ALIGN, RECORD_HDR as F, RECORD_HDR_SIZE, recordLength } from './wire.ts'
import { readU64Safe, writeU64Halves, writeU64Number } from './u64.ts'
import { asDataView, type Bytes } from './bytes.ts'

const LEN = F.len.offset
const TYPE = F.type.offset
const KIND = F.kind.offset
const LEVEL = F.level.offset
const SEQ = F.seq.offset
const TS_LO = F.ts.offset
const TS_HI = F.ts.offset + 4
const PID = F.pid.offset
const PAD = F.pad.offset
const CTX = F.ctx.offset
const RESERVED = F.reserved.offset
const COMM = F.comm.offset

// One field of the record header at `off`, read straight from the view: for hot paths
// that need a field or two (the merge, the pipeline, row filling) without readRecord's
// checks, so only on records already validated. Plain functions that V8 inlines; none
// allocates.
export function recordLen (view: DataView, off: number): number { return view.getUint32(off + LEN, true) }
export function recordType (view: DataView, off: number): number { return view.getUint16(off + TYPE, true) }
export function recordKind (view: DataView, off: number): number { return view.getUint8(off + KIND) }
export function recordLevel (view: DataView, off: number): number { return view.getUint8(off + LEVEL) }
/** Exact below 2^53 (as readRecord requires), else -1. */
export function recordSeq (view: DataView, off: number): number { return readU64Safe(view, off + SEQ) }
export function recordTsHi (view: DataView, off: number): number { return view.getUint32(off + TS_HI, true) }
export function recordTsLo (view: DataView, off: number): number { return view.getUint32(off + TS_LO, true) }
/** pid as the u32 it is stored as */
export function recordPid (view: DataView, off: number): number { return view.getUint32(off + PID, true) }
export function recordPad (view: DataView, off: number): number { return view.getUint8(off + PAD) }
export function recordCtx (view: DataView, off: number): number { return view.getUint8(off + CTX) }
export function recordReserved (view: DataView, off: number): number { return view.getUint16(off + RESERVED, true) }
/** Where comm's COMM_LEN bytes start. */
export function recordCommOffset (off: number): number { return off + COMM }
/** Where the payload starts; it ends at off + len - pad. */
export function recordPayloadOffset (off: number): number { return off + RECORD_HDR_SIZE }

export interface RecordView {
  /** byte offset of the record in the buffer it was read from */
  off: number
  len: number
  type: number
  kind: number
  level: number
  seq: number
  tsHi: number
  tsLo: number
  pid: number
  pad: number
  ctx: number
  reserved: number
  /** byte offset of the payload in the buffer */
  payloadOff: number
  payloadLen: number
}

export function createRecordView (): RecordView {
  return {
    off: 0,
    len: 0,
    type: 0,
    kind: 0,
    level: 0,
    seq: 0,
    tsHi: 0,
    tsLo: 0,
    pid: 0,
    pad: 0,
    ctx: 0,
    reserved: 0,
    payloadOff: 0,
    payloadLen: 0,
  }
}

export const RECORD_OK = 0
/** fewer than a record header's bytes left before `end` */
export const RECORD_TRUNCATED = 1
export const RECORD_LEN_TOO_SMALL = 2
export const RECORD_LEN_UNALIGNED = 3
export const RECORD_LEN_PAST_END = 4
export const RECORD_PAD_TOO_LARGE = 5
/** pad larger than len - 48: the payload would have a negative length */
export const RECORD_PAD_PAST_PAYLOAD = 6
export const RECORD_SEQ_TOO_LARGE = 7
/** set by walkers, not by readRecord: seq does not follow the previous one */
export const RECORD_SEQ_NOT_FOLLOWING = 8
export const RECORD_STATUS_NAMES = [
  'ok', 'truncated header', 'len below 48', 'len not a multiple of 8', 'len past committed',
  'pad above 7', 'pad larger than the payload', 'seq is 2^53 or more', 'seq does not follow',
] as const

/**
 * Decodes and validates the record at `off`, which must lie before `end` (the end of the
 * committed bytes). On RECORD_OK `into` holds it and the next record starts at off + into.len.
 * Fields are left partly written on other statuses.
 */
export function readRecord (view: DataView, off: number, end: number, into: RecordView): number {
  if (end - off < RECORD_HDR_SIZE) return RECORD_TRUNCATED
  const len = recordLen(view, off)
  if (len < RECORD_HDR_SIZE) return RECORD_LEN_TOO_SMALL
  if ((len & (RECORD_ALIGN - 1)) !== 0) return RECORD_LEN_UNALIGNED
  if (len > end - off) return RECORD_LEN_PAST_END
  const pad = recordPad(view, off)
  if (pad >= RECORD_ALIGN) return RECORD_PAD_TOO_LARGE
  if (pad > len - RECORD_HDR_SIZE) return RECORD_PAD_PAST_PAYLOAD
  const seq = recordSeq(view, off)
  if (seq < 0) return RECORD_SEQ_TOO_LARGE
  into.off = off
  into.len = len
  into.type = recordType(view, off)
  into.kind = recordKind(view, off)
  into.level = recordLevel(view, off)
  into.seq = seq
  into.tsLo = recordTsLo(view, off)
  into.tsHi = recordTsHi(view, off)
  into.pid = recordPid(view, off)
  into.pad = pad
  into.ctx = recordCtx(view, off)
  into.reserved = recordReserved(view, off)
  into.payloadOff = recordPayloadOffset(off)
  into.payloadLen = len - RECORD_HDR_SIZE - pad
  return RECORD_OK
}

/** The payload bytes, a view into `bytes` (no copy): valid only as long as the bytes are. */
export function recordPayload (bytes: Buffer, rec: RecordView): Buffer {
  return bytes.subarray(rec.payloadOff, rec.payloadOff + rec.payloadLen)
}

/** The payload decoded as UTF-8 (text records). Allocates a string. */
export function recordText (bytes: Buffer, rec: RecordView): string {
  return bytes.toString('utf8', rec.payloadOff, rec.payloadOff + rec.payloadLen)
}

/** comm up to its first NUL (it may fill all 16 bytes with none). Allocates a string. */
export function recordComm (bytes: Buffer, rec: RecordView, encoding: 'latin1' | 'utf8' = 'utf8'): string {
  const start = recordCommOffset(rec.off)
  let end = start
  while (end < start + COMM_LEN && bytes[end] !== 0) end++
  return bytes.toString(encoding, start, end)
}

/** What an encoder needs besides the payload; seq below 2^53. */
export interface RecordFields {
  type: number
  kind: number
  level: number
  seq: number
  tsHi: number
  tsLo: number
  pid: number
  ctx: number
  /** encoded as UTF-8, cut at 16 bytes, NUL-padded */
  comm: string
}

const commCache = new Map<string, Buffer>()

function commBytes (comm: string): Buffer {
  let bytes = commCache.get(comm)
  if (!bytes) {
    if (commCache.size >= 1024) commCache.clear()
    bytes = Buffer.alloc(COMM_LEN)
    bytes.write(comm, 0, COMM_LEN, 'utf8')
    commCache.set(comm, bytes)
  }
  return bytes
}

/**
 * Writes a record header for a payload of `payloadLen` bytes that the caller writes at
 * off + 48, and zeroes the padding. Returns the record length.
 */
export function writeRecordHeader (bytes: Bytes, off: number, fields: RecordFields, payloadLen: number): number {
  const view = asDataView(bytes)
  const len = recordLength(payloadLen)
  const pad = len - RECORD_HDR_SIZE - payloadLen
  view.setUint32(off + F.len.offset, len, true)
  view.setUint16(off + F.type.offset, fields.type, true)
  view.setUint8(off + F.kind.offset, fields.kind)
  view.setUint8(off + F.level.offset, fields.level)
  writeU64Number(view, off + F.seq.offset, fields.seq)
  writeU64Halves(view, off + F.ts.offset, fields.tsHi, fields.tsLo)
  view.setUint32(off + F.pid.offset, fields.pid, true)
  view.setUint8(off + F.pad.offset, pad)
  view.setUint8(off + F.ctx.offset, fields.ctx)
  view.setUint16(off + F.reserved.offset, 0, true)
  const comm = commBytes(fields.comm)
  for (let i = 0; i < COMM_LEN; i++) view.setUint8(off + F.comm.offset + i, comm[i]!)
  for (let i = len - pad; i < len; i++) view.setUint8(off + i, 0)
  return len
}

/** Writes a whole record (header, payload, padding). Returns its length. */
export function writeRecord (bytes: Bytes, off: number, fields: RecordFields, payload: Uint8Array): number {
  const view = asDataView(bytes)
  const len = writeRecordHeader(view, off, fields, payload.length)
  new Uint8Array(view.buffer, view.byteOffset + off + RECORD_HDR_SIZE, payload.length).set(payload)
  return len
}
