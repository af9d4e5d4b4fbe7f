// A capture segment as the collector tracks it: which channel, how far it
// goes per CPU, and whether it is closed (only closed segments are deleted).
import type { CaptureMeta } from '../../formats/capture.ts'

export interface Segment {
  file: string
  meta: CaptureMeta
  bytes: number
  /** highest record seq per CPU in this segment */
  maxSeq: Map<number, number>
  closed: boolean
}

export const SEGMENT_SUFFIX = '.krcap'

/** Names sort in write order: a zero-padded number, then the channel. */
export function segmentName (n: number, channelId: string): string {
  return `${String(n).padStart(10, '0')}-${channelId}${SEGMENT_SUFFIX}`
}

export function segmentNumber (name: string): number {
  const m = /^(\d{10})-[0-9a-f]{16}\.krcap$/.exec(name)
  return m === null ? -1 : Number(m[1])
}
