// A complete sub-buffer built with the wire codec, as the module would have closed it: the
// records back to back after the header, the header's counts and times taken from them.
// The spool, pipeline and fuzz fixtures each describe their records and call this.
import { writeRecord } from '../formats/record.ts'
import { createSubbufHeader, writeSubbufHeader } from '../formats/subbuf-header.ts'
import { ABI_VERSION, SUBBUF_HDR_SIZE, SUBBUF_MAGIC } from '../formats/wire.ts'

export interface BuiltRecord {
  seq: number
  ts: number
  msg: string
  pid?: number
  comm?: string
}

export interface BuildOptions {
  /** the channel's sub-buffer size: the records must fit */
  size: number
  /** records dropped before this sub-buffer opened */
  dropped?: number
  /** the header's watermark (low 32 bits) */
  watermark: number
}

/** Sub-buffer `seq` of `cpu` holding `records`: header and committed bytes. */
export function buildSubbuf (cpu: number, seq: number, records: BuiltRecord[], opts: BuildOptions): Buffer {
  const buf = Buffer.alloc(opts.size)
  let off = SUBBUF_HDR_SIZE
  for (const r of records) {
    off += writeRecord(buf, off, {
      type: 0, kind: 1, level: 6, seq: r.seq, tsHi: 0, tsLo: r.ts, pid: r.pid ?? 1, ctx: 0, comm: r.comm ?? 'c',
    }, Buffer.from(r.msg))
  }
  const h = createSubbufHeader()
  Object.assign(h, {
    magic: SUBBUF_MAGIC,
    version: ABI_VERSION,
    hdrSize: SUBBUF_HDR_SIZE,
    cpu,
    nrecords: records.length,
    seq,
    commitSeq: seq,
    committed: off - SUBBUF_HDR_SIZE,
    firstTsLo: records[0]?.ts ?? 0,
    lastTsLo: records.at(-1)?.ts ?? 0,
    dropped: opts.dropped ?? 0,
    watermarkLo: opts.watermark,
  })
  writeSubbufHeader(buf, 0, h)
  return buf.subarray(0, off)
}
