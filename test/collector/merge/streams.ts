// Per-CPU record streams for the merge tests: encoded into chunks as the collector
// queues them, and the emitted records decoded back for checking.
import assert from 'node:assert/strict'
import type { Merge } from '../../../collector/merge/merge.ts'
import { recordSeq, recordTsHi, recordTsLo, writeRecord } from '../../../formats/record.ts'
import { compareU64 } from '../../../formats/u64.ts'

export interface Rec { cpu: number, seq: number, hi: number, lo: number }

/** Records of one CPU encoded into one chunk, with payloads of varying length. */
export function chunk (recs: Rec[], rand: () => number): Buffer {
  const bufs = recs.map(r => {
    const payload = Buffer.alloc(Math.floor(rand() * 40), r.seq & 0xff)
    const buf = Buffer.alloc(48 + payload.length + 8)
    const len = writeRecord(buf, 0, {
      type: 1, kind: 2, level: 6, seq: r.seq, tsHi: r.hi, tsLo: r.lo, pid: r.cpu, ctx: 0, comm: 't',
    }, payload)
    return buf.subarray(0, len)
  })
  return Buffer.concat(bufs)
}

export function pushChunk (merge: Merge, cpu: number, recs: Rec[], rand: () => number): void {
  const buf = chunk(recs, rand)
  merge.push(cpu, new DataView(buf.buffer, buf.byteOffset, buf.length), 0, buf.length)
}

export function decodeEmitted (out: Rec[]) {
  return (view: DataView, off: number, cpu: number): void => {
    out.push({
      cpu,
      seq: recordSeq(view, off),
      lo: recordTsLo(view, off),
      hi: recordTsHi(view, off),
    })
  }
}

export function key (r: Rec): string {
  return `${r.cpu}:${r.seq}`
}

export function assertOrdered (out: Rec[]): void {
  for (let i = 1; i < out.length; i++) {
    const a = out[i - 1]!
    const b = out[i]!
    assert.ok(byMergeOrder(a, b) < 0, `record ${i} (${key(b)}) is not after ${key(a)}`)
  }
}

/** (ts, cpu, seq) order, the merge's. */
export function byMergeOrder (a: Rec, b: Rec): number {
  return compareU64(a.hi, a.lo, b.hi, b.lo) || a.cpu - b.cpu || a.seq - b.seq
}
