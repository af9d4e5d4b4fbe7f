// Walks the entries of a capture segment's bytes (formats/CAPTURE.md) for every reader of
// the spool: the feeder (archive worker, replay, `krelay archive --from`), tail's history
// and the spool scan. Damage is told apart from a crash-torn tail: a damaged span is
// reported once and skipped up to the next good entry; only an incomplete entry at the
// very end with nothing good after it is a torn tail. Reads, never allocates per record.
import { checkFrame, createFrameView, findFrame, FRAME_INCOMPLETE, FRAME_OK, FRAME_STATUS_NAMES } from '../../formats/capture-frame.ts'
import { SUBBUF_HDR, SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from '../../formats/wire.ts'

export interface EntryVisitor {
  /**
   * One entry: sub-buffer `seq` of `cpu`, `bytes` its header and committed bytes at `off`
   * of the walked buffer. In a version-1 segment cpu and seq come from the sub-buffer's own
   * (unchecked) header.
   */
  entry: (cpu: number, seq: number, bytes: Buffer, off: number) => void
  /** bytes [from, to) of the walked buffer are damaged; `to` is the next good entry or the end */
  damage: (from: number, to: number, why: string) => void
}

/**
 * Walks the entries of `buf` (which starts at an entry boundary) of a segment of capture
 * `version` whose sub-buffers are at most `subbufSize` bytes. Returns where an incomplete
 * tail starts (not written whole: a crash, or capture has not written it yet), or
 * buf.length.
 */
export function walkEntries (buf: Buffer, version: number, subbufSize: number, v: EntryVisitor): number {
  return version === 1 ? walkV1(buf, subbufSize, v) : walkFrames(buf, subbufSize, v)
}

const frame = createFrameView()
const next = createFrameView()

function walkFrames (buf: Buffer, subbufSize: number, v: EntryVisitor): number {
  let off = 0
  while (off < buf.length) {
    const status = checkFrame(buf, off, subbufSize, frame)
    if (status === FRAME_OK) {
      v.entry(frame.cpu, frame.seq, buf.subarray(frame.entryOff, frame.entryOff + frame.len), frame.entryOff)
      off = frame.next
      continue
    }
    const good = findFrame(buf, off + 8, subbufSize, next)
    if (good < 0) {
      if (status === FRAME_INCOMPLETE) return off
      v.damage(off, buf.length, FRAME_STATUS_NAMES[status]!)
      return buf.length
    }
    v.damage(off, good, FRAME_STATUS_NAMES[status]!)
    off = good
  }
  return off
}

/**
 * Version 1 (no frames): each entry's length comes from its sub-buffer header's
 * `committed`, which nothing checks. A header without the sub-buffer magic, or with an
 * impossible size, is damage: the walk goes on at the next 8-aligned sub-buffer magic.
 */
function walkV1 (buf: Buffer, subbufSize: number, v: EntryVisitor): number {
  let off = 0
  for (;;) {
    if (buf.length - off < SUBBUF_HDR_SIZE) return off
    if (!plausibleV1(buf, off, subbufSize)) {
      let good = off + 8
      while (good + SUBBUF_HDR_SIZE <= buf.length && !plausibleV1(buf, good, subbufSize)) good += 8
      if (good + SUBBUF_HDR_SIZE > buf.length) {
        v.damage(off, buf.length, 'no sub-buffer header')
        return buf.length
      }
      v.damage(off, good, 'no sub-buffer header')
      off = good
      continue
    }
    const len = SUBBUF_HDR_SIZE + buf.readUInt32LE(off + SUBBUF_HDR.committed.offset)
    if (len > buf.length - off) return off
    const seq = buf.readUInt32LE(off + SUBBUF_HDR.seq.offset) + buf.readUInt32LE(off + SUBBUF_HDR.seq.offset + 4) * 2 ** 32
    v.entry(buf.readUInt32LE(off + SUBBUF_HDR.cpu.offset), seq, buf.subarray(off, off + len), off)
    off += len
  }
}

function plausibleV1 (buf: Buffer, off: number, subbufSize: number): boolean {
  return buf.readUInt32LE(off) === SUBBUF_MAGIC &&
    buf.readUInt16LE(off + SUBBUF_HDR.hdr_size.offset) === SUBBUF_HDR_SIZE &&
    buf.readUInt32LE(off + SUBBUF_HDR.committed.offset) <= subbufSize - SUBBUF_HDR_SIZE
}
