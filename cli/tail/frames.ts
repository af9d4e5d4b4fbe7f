// Reassembles frames (formats/live.ts) from the socket's chunks: a frame may span chunks,
// and a chunk may end inside one. Calls `frame` for each whole frame with a view valid
// during the call only.
import { createFrameView, FRAME_OK, FRAME_STATUS_NAMES, FRAME_TRUNCATED, readFrame, type FrameView } from '../../formats/live.ts'

export type OnFrame = (view: DataView, off: number, frame: FrameView) => void

export class FrameStream {
  private rest: Buffer = Buffer.alloc(0)
  private readonly frame = createFrameView()

  constructor (private readonly onFrame: OnFrame) {}

  /** Throws on a broken stream (a bad length or type). */
  push (chunk: Buffer): void {
    const buf = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk])
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length)
    let off = 0
    for (;;) {
      const status = readFrame(view, off, buf.length, this.frame)
      if (status === FRAME_TRUNCATED) break
      if (status !== FRAME_OK) throw new Error(`the collector sent a broken stream (${FRAME_STATUS_NAMES[status]} at byte ${off} of a chunk)`)
      this.onFrame(view, off, this.frame)
      off += this.frame.len
    }
    this.rest = off === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off))
  }

  /** Bytes of a frame not complete yet. */
  get pendingBytes (): number {
    return this.rest.length
  }
}
