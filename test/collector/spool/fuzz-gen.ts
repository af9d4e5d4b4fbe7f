// The seeded fuzzer's material (fuzz.test.ts): a small capture made the way capture makes
// one (segment headers, framed sub-buffers of records with consecutive seqs per CPU, some
// with drops), the truth about it, and the mutations a spool meets: bits flipped, bytes
// overwritten, a segment cut in the middle of a write, wrong frame magic, impossible
// lengths, a stale sub-buffer from an earlier lap, a segment duplicated, an empty one.
import { encodeCaptureHeader, type CaptureMeta } from '../../../formats/capture.ts'
import { encodeFrame, FRAME_HDR } from '../../../formats/capture-frame.ts'
import { ABI_VERSION } from '../../../formats/wire.ts'
import { buildSubbuf } from '../../build-subbuf.ts'

export const FUZZ_CHANNEL = '00f0e0d0c0b0a090'
export const FUZZ_SUBBUF_SIZE = 2048

export function fuzzMeta (): CaptureMeta {
  return {
    channelId: FUZZ_CHANNEL,
    monoToRealtimeNs: '1764032400123456789',
    createdRealtimeNs: '1764032400999999999',
    abiVersion: ABI_VERSION,
    subbufSize: FUZZ_SUBBUF_SIZE,
    host: 'fuzz',
  }
}

/** What a record of the capture was: its message says who it is, so a wrong row shows. */
export function recordMsg (cpu: number, seq: number): string {
  return `cpu ${cpu} record ${seq}`
}

export function recordTs (cpu: number, seq: number): number {
  return seq * 1000 + cpu
}

/** A complete sub-buffer `seq` of `cpu`: records firstSeq .. firstSeq + n - 1, `dropped` before them. */
export function fuzzSubbuf (cpu: number, seq: number, firstSeq: number, n: number, dropped: number): Buffer {
  const records = Array.from({ length: n }, (_, i) => {
    const s = firstSeq + i
    return { seq: s, ts: recordTs(cpu, s), msg: recordMsg(cpu, s), pid: 100 + cpu, comm: 'fuzz' }
  })
  return buildSubbuf(cpu, seq, records, { size: FUZZ_SUBBUF_SIZE, dropped, watermark: recordTs(cpu, firstSeq + n) })
}

export interface FrameAt { segment: number, off: number, len: number, cpu: number }

export interface FuzzCapture {
  /** segment files' bytes, in write order */
  segments: Buffer[]
  /** where each frame is */
  frames: FrameAt[]
  /** per CPU, the seqs of its records (all others up to `last` were dropped) */
  records: Map<number, Set<number>>
  /** per CPU, the highest seq it reached (record or drop) */
  last: Map<number, number>
  /** every sub-buffer before framing, for the decoder fuzz */
  subbufs: Array<{ cpu: number, seq: number, bytes: Buffer }>
  /**
   * The last segment was cut (a crash): what it would have held after the cut was never
   * acknowledged, so the kernel hands it over again; a cut at an entry boundary leaves no trace.
   */
  tailCut: boolean
  /**
   * A segment before the last was cut: what a CPU had there before its first record seen
   * leaves no trace (the spool may start anywhere: its older segments archived and deleted).
   */
  headCut: boolean
}

export function makeCapture (rand: () => number): FuzzCapture {
  const cpus = 1 + Math.floor(rand() * 3)
  const rounds = 3 + Math.floor(rand() * 6)
  const nSegments = 1 + Math.floor(rand() * 3)
  const cap: FuzzCapture = { segments: [], frames: [], records: new Map(), last: new Map(), subbufs: [], tailCut: false, headCut: false }
  const header = encodeCaptureHeader(fuzzMeta())
  let parts: Buffer[] = [header]
  let size = header.length
  for (let r = 0; r < rounds; r++) {
    for (let cpu = 0; cpu < cpus; cpu++) {
      const last = cap.last.get(cpu) ?? 0
      const dropped = r > 0 && rand() < 0.15 ? 1 + Math.floor(rand() * 5) : 0
      const n = rand() < 0.1 ? 0 : 1 + Math.floor(rand() * 8)
      const bytes = fuzzSubbuf(cpu, r + 1, last + dropped + 1, n, dropped)
      let recs = cap.records.get(cpu)
      if (recs === undefined) cap.records.set(cpu, recs = new Set())
      for (let i = 1; i <= n; i++) recs.add(last + dropped + i)
      cap.last.set(cpu, last + dropped + n)
      cap.subbufs.push({ cpu, seq: r + 1, bytes })
      const frame = encodeFrame(bytes, cpu, r + 1)
      cap.frames.push({ segment: cap.segments.length, off: size, len: frame.length, cpu })
      parts.push(frame)
      size += frame.length
    }
    // a new segment at a rotation, but never an empty one at the end
    if (cap.segments.length < nSegments - 1 && r < rounds - 1 && rand() < 0.4) {
      cap.segments.push(Buffer.concat(parts))
      parts = [header]
      size = header.length
    }
  }
  cap.segments.push(Buffer.concat(parts))
  return cap
}

export const MUTATIONS = ['flip', 'overwrite', 'cut', 'cut-middle', 'magic', 'length', 'stale', 'duplicate', 'empty', 'header'] as const
export type Mutation = typeof MUTATIONS[number]

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!

/**
 * Applies `m` to the capture's segments (in place; frame offsets are not kept up to date,
 * so mutations after a first one that moves bytes may land anywhere: that is fine too).
 * Returns a short description for the failure message.
 */
export function mutate (cap: FuzzCapture, m: Mutation, rand: () => number): string {
  const segs = cap.segments
  const si = Math.floor(rand() * segs.length)
  const seg = segs[si]!
  const frame = pick(rand, cap.frames.filter(f => f.segment === si && f.off + f.len <= seg.length))
  switch (m) {
    case 'flip': {
      const bits = 1 + Math.floor(rand() * 3)
      const at: number[] = []
      for (let i = 0; i < bits && seg.length > 0; i++) {
        const byte = Math.floor(rand() * seg.length)
        seg[byte] = seg[byte]! ^ (1 << Math.floor(rand() * 8))
        at.push(byte)
      }
      return `flip segment ${si} bytes ${at.join(',')}`
    }
    case 'overwrite': {
      const from = Math.floor(rand() * seg.length)
      const len = Math.min(1 + Math.floor(rand() * 300), seg.length - from)
      const zeros = rand() < 0.5
      for (let i = from; i < from + len; i++) seg[i] = zeros ? 0 : Math.floor(rand() * 256)
      return `overwrite segment ${si} bytes ${from}..${from + len} with ${zeros ? 'zeros' : 'noise'}`
    }
    case 'cut':
    case 'cut-middle': {
      // 'cut': the last segment, as a crash leaves it; 'cut-middle': any, with segments after it
      const i = m === 'cut' ? segs.length - 1 : si
      const at = Math.floor(rand() * segs[i]!.length)
      segs[i] = segs[i]!.subarray(0, at)
      if (i === segs.length - 1) cap.tailCut = true
      else cap.headCut = true
      return `${m} segment ${i} at ${at}`
    }
    case 'magic':
      if (frame === undefined) return 'magic: no frame'
      seg.writeUInt32LE(Math.floor(rand() * 2 ** 32), frame.off)
      return `magic of the frame at ${frame.off} of segment ${si}`
    case 'length': {
      if (frame === undefined) return 'length: no frame'
      const len = pick(rand, [0, 79, FUZZ_SUBBUF_SIZE + 1, 0xffffffff, frame.len - 24 + 8, frame.len - 24 - 8, Math.floor(rand() * 4096)])
      seg.writeUInt32LE(len >>> 0, frame.off + FRAME_HDR.len.offset)
      return `length ${len} in the frame at ${frame.off} of segment ${si}`
    }
    case 'stale': {
      // a sub-buffer of an earlier lap of the same CPU again, at a later frame boundary
      if (frame === undefined) return 'stale: no frame'
      const older = cap.frames.find(f => f.cpu === frame.cpu && f.segment === si && f.off < frame.off)
      if (older === undefined) return 'stale: no older frame'
      const copy = seg.subarray(older.off, older.off + older.len)
      const over = rand() < 0.5
      segs[si] = Buffer.concat([seg.subarray(0, frame.off), copy, seg.subarray(over ? frame.off + frame.len : frame.off)])
      return `stale copy of the frame at ${older.off} ${over ? 'over' : 'before'} the frame at ${frame.off} of segment ${si}`
    }
    case 'duplicate':
      segs.splice(si + 1 + Math.floor(rand() * (segs.length - si)), 0, Buffer.from(seg))
      return `segment ${si} duplicated`
    case 'empty':
      segs.splice(Math.floor(rand() * (segs.length + 1)), 0, rand() < 0.5 ? Buffer.alloc(0) : encodeCaptureHeader(fuzzMeta()))
      return 'an empty segment'
    case 'header': {
      const byte = Math.floor(rand() * 48)
      seg[byte] = seg[byte]! ^ (1 << Math.floor(rand() * 8))
      return `flip segment ${si} header byte ${byte}`
    }
  }
}
