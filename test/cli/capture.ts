// A raw capture (spool directory) written with the collector's own SpoolWriter from
// synthetic sub-buffers, for `krelay archive --from` tests.
import { SpoolWriter } from '../../collector/spool/spool-writer.ts'
import type { CaptureMeta } from '../../formats/capture.ts'
import { meta, subbuf } from '../collector/spool/fixtures.ts'

export const CHANNEL_A = '0123456789abcdef'
export const CHANNEL_B = 'fedcba9876543210'
const DROPPED_OFFSET = 56 // struct krelay_subbuf_hdr.dropped

export interface CaptureSpec {
  host: string
  /** records per sub-buffer (at most 60 fit the fixture's 4 KiB sub-buffers) */
  perSubbuf: number
  /** sub-buffers per CPU of channel A (B gets 3) */
  subbufsA: number
  /** on cpu 1 of channel A, before its 4th sub-buffer: records dropped */
  dropped: number
}

export interface CaptureTruth {
  /** records per `${channel}/${cpu}` */
  records: Map<string, number>
  lost: number
  segments: number
  perSubbuf: number
}

export function captureMeta (channelId: string, host: string): CaptureMeta {
  return { ...meta(channelId), host }
}

/**
 * Channel A on CPUs 0 and 1, split over two segments, with `dropped` records lost on
 * cpu 1; then channel B (a module reload) in a third segment.
 */
export function writeCapture (dir: string, spec: CaptureSpec): CaptureTruth {
  const w = new SpoolWriter(dir, { fsync: 'never', segmentBytes: 1 << 30, segmentAgeMs: 3_600_000 }, 1, () => {})
  const records = new Map<string, number>()
  const next = new Map<string, number>()
  const add = (channel: string, cpu: number, subSeq: number, drop = 0): void => {
    const key = `${channel}/${cpu}`
    const first = (next.get(key) ?? 1) + drop
    const buf = Buffer.from(subbuf(cpu, subSeq, first, spec.perSubbuf))
    if (drop > 0) buf.writeBigUInt64LE(BigInt(drop), DROPPED_OFFSET)
    w.append(cpu, buf, first + spec.perSubbuf - 1)
    next.set(key, first + spec.perSubbuf)
    records.set(key, (records.get(key) ?? 0) + spec.perSubbuf)
  }
  const half = Math.ceil(spec.subbufsA / 2)
  w.open(captureMeta(CHANNEL_A, spec.host))
  for (let s = 1; s <= spec.subbufsA; s++) {
    if (s === half + 1) w.open(captureMeta(CHANNEL_A, spec.host)) // rotation
    for (const cpu of [0, 1]) add(CHANNEL_A, cpu, s, cpu === 1 && s === 4 ? spec.dropped : 0)
  }
  w.open(captureMeta(CHANNEL_B, spec.host))
  for (let s = 1; s <= 3; s++) for (const cpu of [0, 1]) add(CHANNEL_B, cpu, s)
  w.close()
  return { records, lost: spec.dropped, segments: 3, perSubbuf: spec.perSubbuf }
}
