// Complete sub-buffers built with the wire codec, for spool tests.
import { createSubbufHeader, writeSubbufHeader } from '../../../formats/subbuf-header.ts'
import { writeRecord } from '../../../formats/record.ts'
import { ABI_VERSION, SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from '../../../formats/wire.ts'
import type { CaptureMeta } from '../../../formats/capture.ts'

export function meta (channelId = '0123456789abcdef'): CaptureMeta {
  return {
    channelId,
    monoToRealtimeNs: '1764032400123456789',
    createdRealtimeNs: '1764032400999999999',
    abiVersion: ABI_VERSION,
    subbufSize: 4096,
    host: 'héte-1',
  }
}

/** Sub-buffer `seq` of `cpu` holding records firstSeq .. firstSeq + n - 1. */
export function subbuf (cpu: number, seq: number, firstSeq: number, n: number): Buffer {
  const buf = Buffer.alloc(4096)
  let off = SUBBUF_HDR_SIZE
  for (let i = 0; i < n; i++) {
    off += writeRecord(buf, off, {
      type: 0, kind: 1, level: 6, seq: firstSeq + i, tsHi: 0, tsLo: (firstSeq + i) * 10, pid: 1, ctx: 0, comm: 'c',
    }, Buffer.from(`record ${firstSeq + i}`))
  }
  const h = createSubbufHeader()
  Object.assign(h, {
    magic: SUBBUF_MAGIC,
    version: ABI_VERSION,
    hdrSize: SUBBUF_HDR_SIZE,
    cpu,
    nrecords: n,
    seq,
    commitSeq: seq,
    committed: off - SUBBUF_HDR_SIZE,
    firstTsLo: firstSeq * 10,
    lastTsLo: (firstSeq + n - 1) * 10,
    watermarkLo: (firstSeq + n) * 10,
  })
  writeSubbufHeader(buf, 0, h)
  return buf.subarray(0, off)
}
