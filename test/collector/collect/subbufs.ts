// Complete sub-buffers built with the wire codec, for the pipeline and replay tests.
import { dataView } from '../../../formats/bytes.ts'
import type { CaptureMeta } from '../../../formats/capture.ts'
import { writeRecord } from '../../../formats/record.ts'
import { createSubbufHeader, readSubbufHeader, writeSubbufHeader } from '../../../formats/subbuf-header.ts'
import { ABI_VERSION, SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from '../../../formats/wire.ts'
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
  const buf = Buffer.alloc(SUBBUF_SIZE)
  let off = SUBBUF_HDR_SIZE
  ts.forEach((t, i) => {
    off += writeRecord(buf, off, {
      type: 0, kind: 1, level: 6, seq: firstSeq + i, tsHi: 0, tsLo: t, pid: 1, ctx: 0, comm: 'c',
    }, Buffer.from(`record ${firstSeq + i}`))
  })
  const h = createSubbufHeader()
  Object.assign(h, {
    magic: SUBBUF_MAGIC,
    version: ABI_VERSION,
    hdrSize: SUBBUF_HDR_SIZE,
    cpu,
    nrecords: ts.length,
    seq,
    commitSeq: seq,
    committed: off - SUBBUF_HDR_SIZE,
    firstTsLo: ts[0] ?? 0,
    lastTsLo: ts.at(-1) ?? 0,
    dropped,
    watermarkLo: (ts.at(-1) ?? 0) + 1,
  })
  writeSubbufHeader(buf, 0, h)
  return buf.subarray(0, off)
}

/** What the reader hands the pipeline for such a sub-buffer, with the losses given. */
export function subbufInput (cpu: number, seq: number, firstSeq: number, ts: number[], losses: LossEvent[] = []): SubbufInput {
  const bytes = subbuf(cpu, seq, firstSeq, ts)
  const view = dataView(bytes)
  return { cpu, view, recordsStart: SUBBUF_HDR_SIZE, recordsEnd: bytes.length, losses, header: readSubbufHeader(view, 0, createSubbufHeader()) }
}
