// Feeds a spool's capture segments through the pipeline: after a crash (what
// the archive does not hold yet is archived; the rest is skipped by the
// pipeline) and for `krelay archive --from`. The archive worker reads the
// segments it follows with the same SpoolFeeder.
import fs from 'node:fs'
import { listSegments } from '../spool/spool-reader.ts'
import type { Segment } from '../spool/segment.ts'
import type { Pipeline } from './pipeline.ts'
import { SpoolFeeder } from './spool-feeder.ts'

export interface ReplayResult {
  /** closed segments read, with the highest record seq per CPU in each */
  segments: Segment[]
  /** per channel and CPU, the highest sub-buffer seq in the spool */
  subbufSeq: Map<string, Map<number, number>>
  subbufs: number
  /** bytes at segment ends that held no whole sub-buffer (writes cut short by a crash) */
  tornBytes: number
  /** segments whose header a crash cut short: they hold nothing and were skipped */
  cutSegments: string[]
  /** segments skipped for a bad header (each logged) */
  damagedSegments: string[]
  /** damaged spans skipped inside segments (each logged) */
  damagedSpans: number
  /** sub-buffers skipped as copies of ones fed already (logged per segment) */
  duplicates: number
}

/** `log` gets one line per damaged span or segment skipped (formats/CAPTURE.md, "Damage"). */
export async function replaySpool (dir: string, pipeline: Pipeline, log: (line: string) => void = () => {}): Promise<ReplayResult> {
  const feeder = new SpoolFeeder(pipeline, log)
  const result: ReplayResult = {
    segments: [], subbufSeq: feeder.subbufSeq, subbufs: 0, tornBytes: 0, cutSegments: [], damagedSegments: feeder.damagedSegments, damagedSpans: 0, duplicates: 0,
  }
  for (const file of listSegments(dir)) {
    const seg = await feeder.open(file)
    if (seg === null) {
      if (!feeder.damagedSegments.includes(file)) result.cutSegments.push(file)
      continue
    }
    try {
      result.tornBytes += feeder.feedTo(seg, fs.fstatSync(seg.fd).size)
    } finally {
      feeder.close(seg)
    }
    await pipeline.round([])
    result.subbufs += seg.subbufs
    result.damagedSpans = feeder.damagedSpans
    result.duplicates = feeder.duplicates
    result.segments.push({ file, meta: seg.meta, bytes: 0, maxSeq: seg.maxSeq, closed: true })
  }
  return result
}
