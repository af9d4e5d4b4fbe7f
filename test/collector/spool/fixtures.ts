// Complete sub-buffers built with the wire codec, for spool tests.
import { ABI_VERSION } from '../../../formats/wire.ts'
import { buildSubbuf } from '../../build-subbuf.ts'
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
  const records = Array.from({ length: n }, (_, i) => ({ seq: firstSeq + i, ts: (firstSeq + i) * 10, msg: `record ${firstSeq + i}` }))
  return buildSubbuf(cpu, seq, records, { size: 4096, watermark: (firstSeq + n) * 10 })
}
