// The live stream's frames (formats/LIVE.md): what the collector sends a subscriber over
// its Unix socket. Small functions over a DataView and an offset, like record.ts: the
// writers allocate nothing for a record frame, the reader allocates nothing per frame.
import { LOSS_REASONS, type LossReason } from './archive-schema.ts'
import { readU64Safe, writeU64Halves, writeU64Number } from './u64.ts'

/** Every frame starts with: u32 len (the whole frame, header included), u8 type, u8 0, u16 cpu. */
export const FRAME_HDR_SIZE = 8
export const FRAME_CHANNEL = 1
export const FRAME_RECORD = 2
export const FRAME_LOSS = 3
export const FRAME_SKIPPED = 4
export const FRAME_END = 5
export const FRAME_ERROR = 6
export const FRAME_TYPE_NAMES = ['', 'channel', 'record', 'loss', 'skipped', 'end', 'error'] as const

export const CHANNEL_FRAME_SIZE = FRAME_HDR_SIZE + 8 + 16 + 24
export const LOSS_FRAME_SIZE = FRAME_HDR_SIZE + 40
export const SKIPPED_FRAME_SIZE = FRAME_HDR_SIZE + 8
/** No frame is longer (a record of up to 16 MiB): a longer length is a broken stream. */
export const MAX_FRAME_SIZE = FRAME_HDR_SIZE + 16 * 1024 * 1024

/** Why an end frame ends the stream. */
export const END_STOPPING = 1

const LEN = 0
const TYPE = 4
const CPU = 6
const BODY = FRAME_HDR_SIZE
const RECORD_LEN_MIN = 48

export const FRAME_OK = 0
/** fewer bytes than the frame's header or its length: wait for more */
export const FRAME_TRUNCATED = 1
export const FRAME_BAD_LENGTH = 2
export const FRAME_BAD_TYPE = 3
export const FRAME_STATUS_NAMES = ['ok', 'truncated', 'bad length', 'unknown frame type'] as const

export interface FrameView {
  type: number
  len: number
  cpu: number
}

export function createFrameView (): FrameView {
  return { type: 0, len: 0, cpu: 0 }
}

/** Checks the frame at `off` (bytes up to `end` are there); on FRAME_OK `into` holds its header. */
export function readFrame (view: DataView, off: number, end: number, into: FrameView): number {
  if (end - off < FRAME_HDR_SIZE) return FRAME_TRUNCATED
  const len = view.getUint32(off + LEN, true)
  const type = view.getUint8(off + TYPE)
  if (type < FRAME_CHANNEL || type > FRAME_ERROR) return FRAME_BAD_TYPE
  if (!lengthFits(type, len)) return FRAME_BAD_LENGTH
  // a record frame's length and its record's own len (once there) must agree
  if (type === FRAME_RECORD && end - off >= FRAME_HDR_SIZE + 4 && len - FRAME_HDR_SIZE !== view.getUint32(off + BODY, true)) return FRAME_BAD_LENGTH
  if (end - off < len) return FRAME_TRUNCATED
  into.type = type
  into.len = len
  into.cpu = view.getUint16(off + CPU, true)
  return FRAME_OK
}

function lengthFits (type: number, len: number): boolean {
  switch (type) {
    case FRAME_CHANNEL: return len === CHANNEL_FRAME_SIZE
    case FRAME_RECORD: return len >= FRAME_HDR_SIZE + RECORD_LEN_MIN && len <= MAX_FRAME_SIZE && (len & 7) === 0
    case FRAME_LOSS: return len === LOSS_FRAME_SIZE
    case FRAME_SKIPPED: return len === SKIPPED_FRAME_SIZE
    case FRAME_END: return len >= FRAME_HDR_SIZE + 4 && len <= FRAME_HDR_SIZE + 4 + 4096
    default: return len >= FRAME_HDR_SIZE && len <= FRAME_HDR_SIZE + 4096
  }
}

function writeHeader (view: DataView, off: number, len: number, type: number, cpu: number): void {
  view.setUint32(off + LEN, len, true)
  view.setUint8(off + TYPE, type)
  view.setUint8(off + TYPE + 1, 0)
  view.setUint16(off + CPU, cpu, true)
}

// ---- record: the record's bytes exactly as the kernel wrote them -------------------

/** Where a record frame's record starts (read it with formats/record.ts). */
export function frameRecordOffset (off: number): number {
  return off + BODY
}

/**
 * Writes a record frame for the `len` bytes of the record at `src[srcOff]` (len a multiple
 * of 8, as every record's). Copies by u32 words: no view or subarray per record.
 */
export function writeRecordFrame (view: DataView, off: number, cpu: number, src: DataView, srcOff: number, len: number): number {
  writeHeader(view, off, FRAME_HDR_SIZE + len, FRAME_RECORD, cpu)
  const at = off + BODY
  if (len > 512) {
    new Uint8Array(view.buffer, view.byteOffset + at, len).set(new Uint8Array(src.buffer, src.byteOffset + srcOff, len))
  } else {
    for (let i = 0; i < len; i += 4) view.setUint32(at + i, src.getUint32(srcOff + i, true), true)
  }
  return FRAME_HDR_SIZE + len
}

// ---- channel ----------------------------------------------------------------------

/** The highest record the merge released before a subscriber joined: its merge key (LIVE.md, "channel"). */
export interface ReleasedKey {
  tsHi: number
  tsLo: number
  cpu: number
  seq: number
}

const RELEASED = BODY + 24

/**
 * channel_id is 16 ASCII hex digits; mono_to_realtime_ns an s64 given as the halves of its
 * two's complement; `released`, for a subscriber that joins mid-channel, the highest record
 * released before it.
 */
export function writeChannelFrame (view: DataView, off: number, channelId: string, monoHi: number, monoLo: number, released?: ReleasedKey): number {
  writeHeader(view, off, CHANNEL_FRAME_SIZE, FRAME_CHANNEL, 0)
  writeU64Halves(view, off + BODY, monoHi, monoLo)
  for (let i = 0; i < 16; i++) view.setUint8(off + BODY + 8 + i, i < channelId.length ? channelId.charCodeAt(i) & 0x7f : 0)
  writeU64Halves(view, off + RELEASED, released?.tsHi ?? 0, released?.tsLo ?? 0)
  writeU64Number(view, off + RELEASED + 8, released?.seq ?? 0)
  view.setUint16(off + RELEASED + 16, released?.cpu ?? 0, true)
  view.setUint8(off + RELEASED + 18, released === undefined ? 0 : 1)
  for (let i = 19; i < 24; i++) view.setUint8(off + RELEASED + i, 0)
  return CHANNEL_FRAME_SIZE
}

/** Fills `into` with the channel frame's released record and returns true, or returns false if it names none. */
export function frameReleased (view: DataView, off: number, into: ReleasedKey): boolean {
  if ((view.getUint8(off + RELEASED + 18) & 1) === 0) return false
  into.tsHi = view.getUint32(off + RELEASED + 4, true)
  into.tsLo = view.getUint32(off + RELEASED, true)
  into.seq = readU64Safe(view, off + RELEASED + 8)
  into.cpu = view.getUint16(off + RELEASED + 16, true)
  return true
}

export function frameChannelId (view: DataView, off: number): string {
  let s = ''
  for (let i = 0; i < 16; i++) {
    const c = view.getUint8(off + BODY + 8 + i)
    if (c === 0) break
    s += String.fromCharCode(c)
  }
  return s
}

/** A signed 64-bit value. Not for hot paths: a BigInt. */
export function frameMonoToRealtimeNs (view: DataView, off: number): bigint {
  return view.getBigInt64(off + BODY, true)
}

// ---- loss -------------------------------------------------------------------------

export interface LossFields {
  cpu: number
  firstSeq: number
  count: number
  fromHi: number
  fromLo: number
  toHi: number
  toLo: number
  reason: LossReason
}

/** Wire code of a loss reason: its index in LOSS_REASONS + 1 (1 dropped, 2 corrupt, 3 reload, 4 collector). */
export function lossReasonCode (reason: LossReason): number {
  return LOSS_REASONS.indexOf(reason) + 1
}

export function writeLossFrame (view: DataView, off: number, loss: LossFields): number {
  writeHeader(view, off, LOSS_FRAME_SIZE, FRAME_LOSS, loss.cpu)
  writeU64Number(view, off + BODY, loss.firstSeq)
  writeU64Number(view, off + BODY + 8, loss.count)
  writeU64Halves(view, off + BODY + 16, loss.fromHi, loss.fromLo)
  writeU64Halves(view, off + BODY + 24, loss.toHi, loss.toLo)
  view.setUint32(off + BODY + 32, lossReasonCode(loss.reason), true)
  view.setUint32(off + BODY + 36, 0, true)
  return LOSS_FRAME_SIZE
}

/** Fills `into` from a loss frame; an unknown reason code reads as 'collector'. */
export function readLossFrame (view: DataView, off: number, into: LossFields): LossFields {
  into.cpu = view.getUint16(off + CPU, true)
  into.firstSeq = readU64Safe(view, off + BODY)
  into.count = readU64Safe(view, off + BODY + 8)
  into.fromLo = view.getUint32(off + BODY + 16, true)
  into.fromHi = view.getUint32(off + BODY + 20, true)
  into.toLo = view.getUint32(off + BODY + 24, true)
  into.toHi = view.getUint32(off + BODY + 28, true)
  into.reason = LOSS_REASONS[view.getUint32(off + BODY + 32, true) - 1] ?? 'collector'
  return into
}

// ---- skipped ----------------------------------------------------------------------

export function writeSkippedFrame (view: DataView, off: number, count: number): number {
  writeHeader(view, off, SKIPPED_FRAME_SIZE, FRAME_SKIPPED, 0)
  writeU64Number(view, off + BODY, count)
  return SKIPPED_FRAME_SIZE
}

export function frameSkipped (view: DataView, off: number): number {
  return readU64Safe(view, off + BODY)
}

// ---- end and error: rare, so they allocate ------------------------------------------

/** The collector ends the stream: u32 why (END_STOPPING), then a UTF-8 text. */
export function encodeEndFrame (why: number, text: string): Buffer {
  const body = Buffer.from(text.slice(0, 1024), 'utf8')
  const b = Buffer.alloc(FRAME_HDR_SIZE + 4 + body.length)
  const view = new DataView(b.buffer, b.byteOffset, b.length)
  writeHeader(view, 0, b.length, FRAME_END, 0)
  view.setUint32(BODY, why, true)
  body.copy(b, BODY + 4)
  return b
}

export function frameEndWhy (view: DataView, off: number): number {
  return view.getUint32(off + BODY, true)
}

/** The collector refuses the subscriber (a bad hello): a UTF-8 text, then it closes. */
export function encodeErrorFrame (text: string): Buffer {
  const body = Buffer.from(text.slice(0, 1024), 'utf8')
  const b = Buffer.alloc(FRAME_HDR_SIZE + body.length)
  writeHeader(new DataView(b.buffer, b.byteOffset, b.length), 0, b.length, FRAME_ERROR, 0)
  body.copy(b, BODY)
  return b
}

/** The text of an end or error frame. */
export function frameText (view: DataView, off: number, len: number): string {
  const at = view.getUint8(off + TYPE) === FRAME_END ? BODY + 4 : BODY
  return Buffer.from(view.buffer, view.byteOffset + off + at, len - at).toString('utf8')
}
