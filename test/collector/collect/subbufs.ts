// Complete sub-buffers built with the wire codec, for the pipeline and replay tests.
import { dataView } from '../../../formats/bytes.ts'
import type { CaptureMeta } from '../../../formats/capture.ts'
import { createSubbufHeader, readSubbufHeader } from '../../../formats/subbuf-header.ts'
import { ABI_VERSION, SUBBUF_HDR_SIZE } from '../../../formats/wire.ts'
import { buildSubbuf } from '../../build-subbuf.ts'
import type { SubbufInput } from '../../../collector/collect/pipeline.ts'
import type { LossEvent } from '../../../collector/source/records.ts'

export const SUBBUF_SIZE = 4096

export function meta (channelId = '0123456789abcdef'): CaptureMeta {
  return {
    channelId,
    monoToRealtimeNs: '1764032400123456789',
    createdRealtimeNs: '1764032400999999999',
    abiVersion: ABI_VERSION,
    subbufSize: SUBBUF_SIZE,
    host: 'test',
  }
}

/** Sub-buffer `seq` of `cpu` holding records firstSeq .. firstSeq + ts.length - 1 at the given ts. */
export function subbuf (cpu: number, seq: number, firstSeq: number, ts: number[], dropped = 0): Buffer {
  const records = ts.map((t, i) => ({ seq: firstSeq + i, ts: t, msg: `record ${firstSeq + i}` }))
  return buildSubbuf(cpu, seq, records, { size: SUBBUF_SIZE, dropped, watermark: (ts.at(-1) ?? 0) + 1 })
}

/** What the reader hands the pipeline for such a sub-buffer, with the losses given. */
export function subbufInput (cpu: number, seq: number, firstSeq: number, ts: number[], losses: LossEvent[] = []): SubbufInput {
  const bytes = subbuf(cpu, seq, firstSeq, ts)
  const view = dataView(bytes)
  return { cpu, view, recordsStart: SUBBUF_HDR_SIZE, recordsEnd: bytes.length, losses, header: readSubbufHeader(view, 0, createSubbufHeader()) }
}
