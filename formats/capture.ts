// The raw capture (spool) file format: a segment header, then complete sub-buffers exactly
// as the kernel wrote them (header + committed bytes), each in a frame (capture-frame.ts)
// since version 2. formats/CAPTURE.md describes it for other readers.
import { crc32c } from '@node-rs/crc32'

export const CAPTURE_MAGIC = 0x5043524b // "KRCP" as a little-endian u32
/** the version written; version 1 (no frames, no CRC) is still read */
export const CAPTURE_VERSION = 2
export const CAPTURE_FIXED_SIZE = 48
export const CAPTURE_HOST_MAX = 255

export const CAPTURE_HDR = {
  magic: { offset: 0, size: 4 },
  version: { offset: 4, size: 2 },
  hdr_size: { offset: 6, size: 2 },
  channel_id: { offset: 8, size: 8 },
  mono_to_realtime_ns: { offset: 16, size: 8 },
  created_realtime_ns: { offset: 24, size: 8 },
  abi_version: { offset: 32, size: 4 },
  subbuf_size: { offset: 36, size: 4 },
  host_len: { offset: 40, size: 2 },
  reserved: { offset: 42, size: 2 },
  /** version 2: CRC32C of the header's hdr_size bytes with this field 0 (version 1: reserved, 0) */
  hdr_crc: { offset: 44, size: 4 },
} as const

/** A segment header that is not a whole, good capture header: the segment is skipped. */
export class CaptureHeaderError extends Error {}

function headerCrc (buf: Buffer, size: number): number {
  const F = CAPTURE_HDR.hdr_crc
  return crc32c(buf.subarray(F.offset + F.size, size), crc32c(ZERO_CRC, crc32c(buf.subarray(0, F.offset))))
}

const ZERO_CRC = Buffer.alloc(4)

export interface CaptureMeta {
  /** 16 hex digits, from `info` */
  channelId: string
  /** decimal string: above 2^53 */
  monoToRealtimeNs: string
  createdRealtimeNs: string
  abiVersion: number
  subbufSize: number
  host: string
}

function writeU64Decimal (buf: Buffer, off: number, value: string): void {
  buf.writeBigUInt64LE(BigInt(value), off)
}

export function encodeCaptureHeader (meta: CaptureMeta): Buffer {
  const host = Buffer.from(meta.host, 'utf8')
  if (host.length > CAPTURE_HOST_MAX) throw new RangeError(`host name longer than ${CAPTURE_HOST_MAX} bytes: ${meta.host}`)
  if (!/^[0-9a-f]{16}$/.test(meta.channelId)) throw new RangeError(`channel id must be 16 hex digits: ${meta.channelId}`)
  const size = (CAPTURE_FIXED_SIZE + host.length + 7) & ~7
  const buf = Buffer.alloc(size)
  const F = CAPTURE_HDR
  buf.writeUInt32LE(CAPTURE_MAGIC, F.magic.offset)
  buf.writeUInt16LE(CAPTURE_VERSION, F.version.offset)
  buf.writeUInt16LE(size, F.hdr_size.offset)
  buf.write(meta.channelId, F.channel_id.offset, 'hex')
  writeU64Decimal(buf, F.mono_to_realtime_ns.offset, meta.monoToRealtimeNs)
  writeU64Decimal(buf, F.created_realtime_ns.offset, meta.createdRealtimeNs)
  buf.writeUInt32LE(meta.abiVersion, F.abi_version.offset)
  buf.writeUInt32LE(meta.subbufSize, F.subbuf_size.offset)
  buf.writeUInt16LE(host.length, F.host_len.offset)
  host.copy(buf, CAPTURE_FIXED_SIZE)
  buf.writeUInt32LE(headerCrc(buf, size), F.hdr_crc.offset)
  return buf
}

/**
 * True for the bytes of a segment whose header was never written whole: the spool writer
 * creates the file, then writes its header, then sub-buffers, so a crash between the first
 * two leaves fewer bytes than the header and no sub-buffer. Such a segment holds nothing.
 */
export function isCaptureHeaderCut (buf: Buffer): boolean {
  if (buf.length < CAPTURE_FIXED_SIZE) return true
  const F = CAPTURE_HDR
  const size = buf.readUInt16LE(F.hdr_size.offset)
  // a damaged hdr_size is not a cut: that segment may hold sub-buffers
  return buf.readUInt32LE(F.magic.offset) === CAPTURE_MAGIC && size > buf.length &&
    size === ((CAPTURE_FIXED_SIZE + buf.readUInt16LE(F.host_len.offset) + 7) & ~7)
}

/**
 * Decodes a segment header of version 1 or 2; throws CaptureHeaderError naming what is
 * wrong. Returns the meta, the version and where entries start.
 */
export function decodeCaptureHeader (buf: Buffer, name: string): { meta: CaptureMeta, entriesOff: number, version: number } {
  const F = CAPTURE_HDR
  const fail = (why: string): never => { throw new CaptureHeaderError(`${name}: ${why}`) }
  if (buf.length < CAPTURE_FIXED_SIZE) fail('not a krelay capture (shorter than its header)')
  const magic = buf.readUInt32LE(F.magic.offset)
  if (magic !== CAPTURE_MAGIC) fail(`not a krelay capture (magic 0x${magic.toString(16)})`)
  const version = buf.readUInt16LE(F.version.offset)
  if (version !== 1 && version !== 2) fail(`capture version ${version} is not supported (this collector reads 1 and 2)`)
  const size = buf.readUInt16LE(F.hdr_size.offset)
  const hostLen = buf.readUInt16LE(F.host_len.offset)
  if (size > buf.length || CAPTURE_FIXED_SIZE + hostLen > size || (size & 7) !== 0) fail(`capture header size ${size} is inconsistent`)
  if (version === 2) {
    const crc = buf.readUInt32LE(F.hdr_crc.offset)
    if (crc !== headerCrc(buf, size)) fail(`capture header CRC mismatch (0x${crc.toString(16)} stored, 0x${headerCrc(buf, size).toString(16)} computed)`)
  }
  return {
    meta: {
      channelId: buf.toString('hex', F.channel_id.offset, F.channel_id.offset + 8),
      monoToRealtimeNs: buf.readBigUInt64LE(F.mono_to_realtime_ns.offset).toString(),
      createdRealtimeNs: buf.readBigUInt64LE(F.created_realtime_ns.offset).toString(),
      abiVersion: buf.readUInt32LE(F.abi_version.offset),
      subbufSize: buf.readUInt32LE(F.subbuf_size.offset),
      host: buf.toString('utf8', CAPTURE_FIXED_SIZE, CAPTURE_FIXED_SIZE + hostLen),
    },
    entriesOff: size,
    version,
  }
}
