// Feeds a spool's capture segments through the pipeline: after a crash (what
// the archive does not hold yet is archived; the rest is skipped by the
// pipeline) and for `krelay archive --from`.
import { UnsupportedAbiError } from '../../formats/errors.ts'
import { createRecordView } from '../../formats/record.ts'
import { checkSubbufHeader, createSubbufHeader, HEADER_BAD_VERSION, readSubbufHeader } from '../../formats/subbuf-header.ts'
import { ABI_VERSION } from '../../formats/wire.ts'
import { dataView } from '../../formats/bytes.ts'
import { decodeSubbuf } from '../source/decode-subbuf.ts'
import { createSeqState, type SeqState } from '../source/records.ts'
import { listSegments, readSegment } from '../spool/spool-reader.ts'
import type { Segment } from '../spool/segment.ts'
import type { Pipeline } from './pipeline.ts'

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
}

export async function replaySpool (dir: string, pipeline: Pipeline): Promise<ReplayResult> {
  const result: ReplayResult = { segments: [], subbufSeq: new Map(), subbufs: 0, tornBytes: 0, cutSegments: [] }
  const header = createSubbufHeader()
  const rec = createRecordView()
  const seqStates = new Map<string, SeqState>()
  for (const file of listSegments(dir)) {
    const seg = readSegment(file)
    if (seg === null) {
      result.cutSegments.push(file)
      continue
    }
    const { meta } = seg
    if (meta.abiVersion !== ABI_VERSION) throw new UnsupportedAbiError(meta.abiVersion, ` (capture ${file})`)
    await pipeline.startChannel(meta, [])
    const subbufSeq = result.subbufSeq.get(meta.channelId) ?? new Map<number, number>()
    result.subbufSeq.set(meta.channelId, subbufSeq)
    const maxSeq = new Map<number, number>()
    for (const { cpu, bytes } of seg.subbufs) {
      readSubbufHeader(dataView(bytes), 0, header)
      const status = checkSubbufHeader(header, cpu, meta.subbufSize)
      if (status === HEADER_BAD_VERSION) throw new UnsupportedAbiError(header.version, ` (capture ${file})`)
      const key = `${meta.channelId}/${cpu}`
      let state = seqStates.get(key)
      if (state === undefined) seqStates.set(key, state = createSeqState())
      const sub = decodeSubbuf(cpu, header.seq, bytes, header, status, state, rec, header.watermarkHi, header.watermarkLo)
      pipeline.addSubbuf(sub)
      if (header.seq > (subbufSeq.get(cpu) ?? 0)) subbufSeq.set(cpu, header.seq)
      if (sub.lastRecordSeq > (maxSeq.get(cpu) ?? 0)) maxSeq.set(cpu, sub.lastRecordSeq)
      result.subbufs++
    }
    await pipeline.round([])
    result.tornBytes += seg.tornBytes
    result.segments.push({ file, meta, bytes: 0, maxSeq, closed: true })
  }
  return result
}
