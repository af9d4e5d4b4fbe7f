// Appends complete sub-buffers to capture segments on disk before they are
// acknowledged to the kernel. A record acknowledged to the kernel lives only
// here until the Parquet file holding it is final; segments are deleted after.
import fs from 'node:fs'
import path from 'node:path'
import { encodeCaptureHeader, type CaptureMeta } from '../../formats/capture.ts'
import { encodeFrameHeader, FRAME_HDR_SIZE, framePadding } from '../../formats/capture-frame.ts'
import { SUBBUF_HDR } from '../../formats/wire.ts'
import { fsyncPathSync } from '../durable.ts'
import { createFileSync, makeDirSync } from '../file-mode.ts'
import { segmentName, type Segment } from './segment.ts'

/**
 * When written sub-buffers reach the disk, and so what a power loss can cost
 * (a process crash costs nothing either way: the page cache survives it).
 * - 'always': fsync before every acknowledgement; nothing acknowledged is lost.
 * - a number N: fsync at most every N ms; a power loss loses up to N ms of records.
 * - 'never': the kernel writes back when it likes (about 30 s).
 */
export type FsyncPolicy = 'always' | 'never' | number

export interface SpoolWriterOptions {
  fsync: FsyncPolicy
  /** start a new segment beyond this many bytes */
  segmentBytes: number
  /** start a new segment when the open one is this old */
  segmentAgeMs: number
}

export class SpoolWriter {
  private fd = -1
  private current: Segment | undefined
  private openedAt = 0
  private lastSync = 0
  private unsynced = false
  /** the frame header of the sub-buffer being appended (reused) */
  private readonly frame = Buffer.alloc(FRAME_HDR_SIZE)
  /** bytes written to every segment this writer opened (headers included) */
  written = 0

  constructor (
    readonly dir: string,
    private opts: SpoolWriterOptions,
    private nextNumber: number,
    private readonly onSegmentClosed: (segment: Segment) => void
  ) {
    makeDirSync(dir)
  }

  /** Starts a new segment for a channel (at start, at a module reload, at rotation). */
  open (meta: CaptureMeta): void {
    this.close()
    const file = path.join(this.dir, segmentName(this.nextNumber++, meta.channelId))
    // O_EXCL | O_NOFOLLOW: a file or link planted under the next name is refused, not followed
    const fd = createFileSync(file)
    const header = encodeCaptureHeader(meta)
    try {
      writeAll(fd, header, 0, file)
    } catch (err) {
      // a full disk: no segment without a whole header is left behind (the caller retries)
      fs.closeSync(fd)
      fs.rmSync(file, { force: true })
      throw err
    }
    this.fd = fd
    this.written += header.length
    this.current = { file, meta, bytes: header.length, maxSeq: new Map(), closed: false }
    this.openedAt = Date.now()
    this.unsynced = true
    this.sync()
    fsyncPathSync(this.dir, true)
  }

  /**
   * Appends one sub-buffer (header and committed bytes, or its header alone when that
   * failed its checks), framed (formats/capture-frame.ts). `lastSeq` is the seq of its last
   * record (0 if none, or not known: capture does not walk the records, so the segment's
   * maxSeq stays empty there; the archive worker learns it when it feeds the segment).
   * `seq` is the sub-buffer's seq as the reader took it (by default its header's).
   * Returns once the bytes are where the fsync policy says: acknowledging after this call
   * is safe. When it throws (a full disk: ENOSPC), the segment is cut back to its last
   * whole sub-buffer and nothing is counted: the call can be repeated.
   */
  append (cpu: number, subbuf: Buffer, lastSeq = 0, seq = headerSeq(subbuf)): void {
    const seg = this.current
    if (seg === undefined) throw new Error('spool: append before open')
    encodeFrameHeader(this.frame, subbuf, cpu, seq)
    const pad = framePadding(subbuf.length)
    let bytes: number
    try {
      // at seg.bytes, not the file offset: a repeat after a failed write overwrites its tail
      bytes = writeFrame(this.fd, this.frame, subbuf, pad, seg.bytes, seg.file)
      this.unsynced = true
      const policy = this.opts.fsync
      if (policy === 'always' || (typeof policy === 'number' && Date.now() - this.lastSync >= policy)) this.sync()
    } catch (err) {
      this.cutBack(seg)
      throw err
    }
    seg.bytes += bytes
    this.written += bytes
    if (lastSeq > (seg.maxSeq.get(cpu) ?? 0)) seg.maxSeq.set(cpu, lastSeq)
  }

  /**
   * A failed append may have left part of a sub-buffer after the last whole one: cut it
   * off, so that the segment never holds it (if this fails too, the next append overwrites
   * it, and a reader takes a segment's incomplete end for a torn tail, never for data).
   */
  private cutBack (seg: Segment): void {
    try {
      fs.ftruncateSync(this.fd, seg.bytes)
    } catch {}
  }

  /** The open segment, if any: its file and how many bytes it holds. */
  get segment (): Readonly<Segment> | undefined {
    return this.current
  }

  /**
   * New limits and fsync policy (a SIGHUP reload): the next append syncs by the new policy,
   * and the next shouldRotate() measures the open segment against the new limits.
   */
  configure (opts: SpoolWriterOptions): void {
    this.opts = { ...opts }
  }

  /** The open segment is full or old: the caller opens the next with fresh channel meta. */
  shouldRotate (): boolean {
    const seg = this.current
    return seg !== undefined && (seg.bytes >= this.opts.segmentBytes || Date.now() - this.openedAt >= this.opts.segmentAgeMs)
  }

  sync (): void {
    if (this.fd < 0 || !this.unsynced) return
    fs.fsyncSync(this.fd)
    this.unsynced = false
    this.lastSync = Date.now()
  }

  close (): void {
    if (this.current === undefined) return
    this.unsynced = true
    this.sync()
    fs.closeSync(this.fd)
    this.fd = -1
    this.current.closed = true
    this.onSegmentClosed(this.current)
    this.current = undefined
  }
}

/** Writes all of `buf` at `position` of the file. */
function writeAll (fd: number, buf: Buffer, position: number, file: string): void {
  let off = 0
  try {
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off, position + off)
  } catch (err) {
    throw new Error(`spool: cannot write ${file}: ${(err as Error).message}`, { cause: err })
  }
}

const PADDING = Buffer.alloc(8)

/** The seq in a sub-buffer's header (a tests' default: capture gives the reader's). */
function headerSeq (subbuf: Buffer): number {
  const off = SUBBUF_HDR.seq.offset
  return subbuf.length < off + 8 ? 0 : subbuf.readUInt32LE(off) + subbuf.readUInt32LE(off + 4) * 2 ** 32
}

/** Writes a frame (header, entry, padding) with one writev in the usual case; returns its bytes. */
function writeFrame (fd: number, frame: Buffer, entry: Buffer, pad: number, position: number, file: string): number {
  const parts = pad === 0 ? [frame, entry] : [frame, entry, PADDING.subarray(0, pad)]
  const total = frame.length + entry.length + pad
  let done: number
  try {
    done = fs.writevSync(fd, parts, position)
  } catch (err) {
    throw new Error(`spool: cannot write ${file}: ${(err as Error).message}`, { cause: err })
  }
  // a short write (rare: a signal, a full disk): the rest one part at a time
  let at = position + done
  for (const part of parts) {
    if (done >= part.length) { done -= part.length; continue }
    writeAll(fd, part.subarray(done), at, file)
    at += part.length - done
    done = 0
  }
  return total
}
