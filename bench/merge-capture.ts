// The captures bench/merge.ts merges: one capture segment (CAPTURE.md) with a number of
// generator-like records spread evenly over a number of CPU streams, timestamps above
// 2^53 ns with frequent ties, in 256 KiB sub-buffers (the module's default) that arrive
// round-robin as a reader's passes take them, each with its last ts as watermark.
//
//   node --import tsx bench/merge-capture.ts <file> <records> <cpus>    (to try bench/c/merge.c alone)
import fs from 'node:fs'
import { encodeCaptureHeader } from '../formats/capture.ts'
import { encodeFrame } from '../formats/capture-frame.ts'
import { writeRecordHeader, type RecordFields } from '../formats/record.ts'
import { createSubbufHeader, writeSubbufHeader } from '../formats/subbuf-header.ts'
import { ABI_VERSION, SUBBUF_HDR_SIZE, SUBBUF_MAGIC, TYPE_GEN, recordLength } from '../formats/wire.ts'

export const SUBBUF = 256 * 1024
const BASE_HI = 0x00300000 // ts above 2^53 ns, as after 104 days of uptime

/** Writes a capture of `records` records over `cpus` streams to `file`. */
export function writeCapture (file: string, records: number, cpus: number): void {
  let s = 12345
  const rand = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s / 4294967296 }
  const fields: RecordFields = { type: TYPE_GEN, kind: 2, level: 6, seq: 0, tsHi: BASE_HI, tsLo: 0, pid: 100, ctx: 0, comm: 'krelay_gen' }
  const header = createSubbufHeader()
  header.magic = SUBBUF_MAGIC
  header.version = ABI_VERSION
  header.hdrSize = SUBBUF_HDR_SIZE
  const perCpu: Buffer[][] = []
  for (let cpu = 0; cpu < cpus; cpu++) {
    const subbufs: Buffer[] = []
    let buf = Buffer.alloc(SUBBUF)
    let off = SUBBUF_HDR_SIZE
    let n = 0
    let hi = BASE_HI
    let lo = 0
    let firstHi = hi
    let firstLo = lo
    const close = (): void => {
      const seq = subbufs.length + 1
      header.cpu = cpu
      header.nrecords = n
      header.seq = header.commitSeq = seq
      header.committed = off - SUBBUF_HDR_SIZE
      header.firstTsHi = firstHi
      header.firstTsLo = firstLo
      header.lastTsHi = header.watermarkHi = hi
      header.lastTsLo = header.watermarkLo = lo
      writeSubbufHeader(buf, 0, header)
      subbufs.push(buf.subarray(0, off))
      buf = Buffer.alloc(SUBBUF)
      off = SUBBUF_HDR_SIZE
      n = 0
    }
    const count = Math.floor(records / cpus) + (cpu < records % cpus ? 1 : 0)
    for (let seq = 1; seq <= count; seq++) {
      // the same record rate overall whatever the stream count; 30% ties within a CPU
      lo += rand() < 0.3 ? 0 : Math.floor(rand() * 600 * cpus)
      if (lo >= 4294967296) { lo -= 4294967296; hi++ }
      const payloadLen = 16 + (seq % 61)
      if (off + recordLength(payloadLen) > SUBBUF) close()
      if (n === 0) { firstHi = hi; firstLo = lo }
      fields.seq = seq
      fields.tsHi = hi
      fields.tsLo = lo
      fields.pid = 100 + cpu
      const len = writeRecordHeader(buf, off, fields, payloadLen)
      buf.fill(seq & 0xff, off + 48, off + 48 + payloadLen)
      off += len
      n++
    }
    if (n > 0) close()
    perCpu.push(subbufs)
  }
  const fd = fs.openSync(file, 'w')
  fs.writeSync(fd, encodeCaptureHeader({
    channelId: '9f3c2a71d04b5e86', monoToRealtimeNs: '1764032400123456789', createdRealtimeNs: '1764032400123456789', abiVersion: ABI_VERSION, subbufSize: SUBBUF, host: 'bench',
  }))
  // arrival order: one sub-buffer of each CPU per pass
  for (let i = 0; perCpu.some(l => i < l.length); i++) {
    perCpu.forEach((l, cpu) => { if (i < l.length) fs.writeSync(fd, encodeFrame(l[i]!, cpu, i + 1)) })
  }
  fs.closeSync(fd)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeCapture(process.argv[2]!, Number(process.argv[3]), Number(process.argv[4]))
}
