// The frame of one sub-buffer in a version-2 capture segment (formats/CAPTURE.md, "Frame"):
// a 24-byte header naming the entry's length, CPU and sub-buffer seq with a CRC32C over
// all of it, then the entry, then zeros up to a multiple of 8. A reader knows each entry's
// length without trusting the sub-buffer, tells damage from a crash-torn tail, and finds
// the next good frame after damage by stepping 8 bytes at a time.
import { crc32c } from '@node-rs/crc32'
import { SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from './wire.ts'

export const FRAME_MAGIC = 0x4d52464b // "KFRM" as a little-endian u32
export const FRAME_HDR_SIZE = 24
export const FRAME_ALIGN = 8

export const FRAME_HDR = {
  magic: { offset: 0, size: 4 },
  /** CRC32C of the frame's bytes [8, 24 + len): the rest of its header, then the entry */
  crc: { offset: 4, size: 4 },
  len: { offset: 8, size: 4 },
  cpu: { offset: 12, size: 4 },
  seq: { offset: 16, size: 8 },
} as const

/** Zero bytes that follow an entry of `len` bytes so that the next frame starts 8-aligned. */
export function framePadding (len: number): number {
  return (FRAME_ALIGN - (len & (FRAME_ALIGN - 1))) & (FRAME_ALIGN - 1)
}

/**
 * Fills `hdr` (FRAME_HDR_SIZE bytes, reused by the caller) as the frame of `entry`, sub-buffer
 * `seq` of `cpu`. Two CRC32C calls, no allocation: fit for capture's hot path.
 */
export function encodeFrameHeader (hdr: Buffer, entry: Uint8Array, cpu: number, seq: number): void {
  hdr.writeUInt32LE(FRAME_MAGIC, FRAME_HDR.magic.offset)
  hdr.writeUInt32LE(entry.length, FRAME_HDR.len.offset)
  hdr.writeUInt32LE(cpu, FRAME_HDR.cpu.offset)
  hdr.writeUInt32LE(seq % 2 ** 32, FRAME_HDR.seq.offset)
  hdr.writeUInt32LE(Math.floor(seq / 2 ** 32), FRAME_HDR.seq.offset + 4)
  hdr.writeUInt32LE(crc32c(entry, crc32c(hdr.subarray(FRAME_HDR.len.offset, FRAME_HDR_SIZE))), FRAME_HDR.crc.offset)
}

export const FRAME_OK = 0
/** The bytes end inside a frame that looks right so far: not written whole (yet). */
export const FRAME_INCOMPLETE = 1
export const FRAME_BAD_MAGIC = 2
export const FRAME_BAD_LENGTH = 3
export const FRAME_BAD_CRC = 4
export const FRAME_STATUS_NAMES = ['ok', 'incomplete', 'bad frame magic', 'impossible frame length', 'CRC mismatch'] as const

/** A frame that checkFrame found whole and good. */
export interface FrameView {
  cpu: number
  seq: number
  /** the entry (sub-buffer header and committed bytes) is buf[entryOff, entryOff + len) */
  entryOff: number
  len: number
  /** where the next frame starts */
  next: number
}

export function createFrameView (): FrameView {
  return { cpu: 0, seq: 0, entryOff: 0, len: 0, next: 0 }
}

/**
 * Checks the frame at `off` of `buf`: its magic, a length between a sub-buffer header and
 * `maxLen` (the segment's sub-buffer size), whether it is whole, and its CRC. FRAME_OK fills
 * `into`.
 */
export function checkFrame (buf: Buffer, off: number, maxLen: number, into: FrameView): number {
  const left = buf.length - off
  if (left < 4) return buf.subarray(off).equals(MAGIC_BYTES.subarray(0, left)) ? FRAME_INCOMPLETE : FRAME_BAD_MAGIC
  if (buf.readUInt32LE(off) !== FRAME_MAGIC) return FRAME_BAD_MAGIC
  if (left < FRAME_HDR_SIZE) return left < FRAME_HDR.len.offset + 4 || plausible(buf.readUInt32LE(off + FRAME_HDR.len.offset), maxLen) ? FRAME_INCOMPLETE : FRAME_BAD_LENGTH
  const len = buf.readUInt32LE(off + FRAME_HDR.len.offset)
  if (!plausible(len, maxLen)) return FRAME_BAD_LENGTH
  const end = off + FRAME_HDR_SIZE + len
  // the padding is written with the frame: a frame without it was cut short too
  if (end + framePadding(len) > buf.length) return FRAME_INCOMPLETE
  const crc = crc32c(buf.subarray(off + FRAME_HDR_SIZE, end), crc32c(buf.subarray(off + FRAME_HDR.len.offset, off + FRAME_HDR_SIZE)))
  if (crc !== buf.readUInt32LE(off + FRAME_HDR.crc.offset)) return FRAME_BAD_CRC
  into.cpu = buf.readUInt32LE(off + FRAME_HDR.cpu.offset)
  into.seq = buf.readUInt32LE(off + FRAME_HDR.seq.offset) + buf.readUInt32LE(off + FRAME_HDR.seq.offset + 4) * 2 ** 32
  into.entryOff = off + FRAME_HDR_SIZE
  into.len = len
  into.next = end + framePadding(len)
  return FRAME_OK
}

const MAGIC_BYTES = Buffer.from([0x4b, 0x46, 0x52, 0x4d])

function plausible (len: number, maxLen: number): boolean {
  return len >= SUBBUF_HDR_SIZE && len <= maxLen
}

/**
 * The resync rule: the offset of the first good frame (magic, length, CRC) at `from` or
 * after it in steps of 8, or -1 if there is none. Fills `into` for it. A frame always holds
 * a sub-buffer header, so only a frame magic with the sub-buffer magic 24 bytes on is
 * checked whole.
 */
export function findFrame (buf: Buffer, from: number, maxLen: number, into: FrameView): number {
  for (let off = from; off + FRAME_HDR_SIZE + 4 <= buf.length; off += FRAME_ALIGN) {
    // the CRC only for a frame magic followed by a sub-buffer magic: record payloads may hold either
    if (buf.readUInt32LE(off) === FRAME_MAGIC && buf.readUInt32LE(off + FRAME_HDR_SIZE) === SUBBUF_MAGIC &&
      checkFrame(buf, off, maxLen, into) === FRAME_OK) return off
  }
  return -1
}

/** A whole frame of `entry` (header, entry, padding) in a new buffer: for tests and tools, not the hot path. */
export function encodeFrame (entry: Uint8Array, cpu: number, seq: number): Buffer {
  const out = Buffer.alloc(FRAME_HDR_SIZE + entry.length + framePadding(entry.length))
  encodeFrameHeader(out, entry, cpu, seq)
  out.set(entry, FRAME_HDR_SIZE)
  return out
}
