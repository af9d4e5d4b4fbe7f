// Benchmark of the k-way merge against a baseline measured in the same run.
//
//   node --import tsx bench/merge.ts [records] [cpus]     (default 2,000,000 and 4)
//
// Both variants order the same per-CPU streams (records encoded as the module writes
// them, in 256 KiB chunks, timestamps above 2^53 ns with frequent ties) by (ts, cpu, seq):
//   sort    the obvious way: decode every record into an object with a BigInt ts,
//           collect them, Array.prototype.sort. Allocates per record, holds everything.
//   merge   collector/merge: chunks queued per CPU, heap of heads, released by
//           watermarks round by round as the collector does; nothing allocated per record.
// Reported: records/s, heap growth over the run, and the merge/sort ratio. The two orders
// are checked equal.
import { Merge } from '../collector/merge/merge.ts'
import { writeRecord } from '../formats/record.ts'
import { RECORD_HDR } from '../formats/wire.ts'

const N = Number(process.argv[2] ?? 2_000_000)
const CPUS = Number(process.argv[3] ?? 4)
const CHUNK = 256 * 1024
const BASE_HI = 0x00300000 // ts above 2^53 ns, as after 104 days of uptime

interface Chunk { cpu: number, view: DataView, end: number, lastHi: number, lastLo: number }

function makeChunks (): Chunk[] {
  const chunks: Chunk[] = []
  const perCpu = Math.floor(N / CPUS)
  let s = 12345
  const rand = (): number => { s = (s * 1103515245 + 12345) >>> 0; return s / 4294967296 }
  for (let cpu = 0; cpu < CPUS; cpu++) {
    let buf = Buffer.alloc(CHUNK)
    let off = 0
    let lo = 0
    let hi = BASE_HI
    for (let seq = 1; seq <= perCpu; seq++) {
      lo += rand() < 0.3 ? 0 : Math.floor(rand() * 2000)
      if (lo >= 4294967296) { lo -= 4294967296; hi++ }
      const payload = Buffer.alloc(16 + (seq % 61), seq & 0xff)
      if (off + 48 + payload.length + 8 > CHUNK) {
        chunks.push({ cpu, view: new DataView(buf.buffer, buf.byteOffset, off), end: off, lastHi: hi, lastLo: lo })
        buf = Buffer.alloc(CHUNK)
        off = 0
      }
      off += writeRecord(buf, off, { type: 0xff01, kind: 2, level: 6, seq, tsHi: hi, tsLo: lo, pid: 1, ctx: 0, comm: 'gen' }, payload)
    }
    chunks.push({ cpu, view: new DataView(buf.buffer, buf.byteOffset, off), end: off, lastHi: hi, lastLo: lo })
  }
  // arrival order: round-robin over CPUs, as a reader pass takes them
  const byCpu = Array.from({ length: CPUS }, (_, c) => chunks.filter(ch => ch.cpu === c))
  const arrival: Chunk[] = []
  for (let i = 0; byCpu.some(l => i < l.length); i++) for (const l of byCpu) if (i < l.length) arrival.push(l[i]!)
  return arrival
}

const LE = true
const SEQ = RECORD_HDR.seq.offset
const TS = RECORD_HDR.ts.offset
const LEN = RECORD_HDR.len.offset

function runSort (chunks: Chunk[]): Float64Array {
  const recs: Array<{ ts: bigint, cpu: number, seq: number }> = []
  for (const ch of chunks) {
    for (let off = 0; off < ch.end; off += ch.view.getUint32(off + LEN, LE)) {
      recs.push({ ts: ch.view.getBigUint64(off + TS, LE), cpu: ch.cpu, seq: ch.view.getUint32(off + SEQ, LE) })
    }
  }
  recs.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.cpu - b.cpu || a.seq - b.seq))
  const order = new Float64Array(recs.length)
  for (let i = 0; i < recs.length; i++) order[i] = recs[i]!.cpu * 1e9 + recs[i]!.seq
  return order
}

function runMerge (chunks: Chunk[]): Float64Array {
  const order = new Float64Array(N)
  let i = 0
  const merge = new Merge((view, off, cpu) => { order[i++] = cpu * 1e9 + view.getUint32(off + SEQ, LE) })
  for (let c = 0; c < CPUS; c++) merge.addCpu(c)
  // one round per CPUS chunks: push, then every CPU's watermark is its newest ts
  for (let k = 0; k < chunks.length; k += CPUS) {
    for (const ch of chunks.slice(k, k + CPUS)) {
      merge.push(ch.cpu, ch.view, 0, ch.end)
      merge.setWatermark(ch.cpu, ch.lastHi, ch.lastLo)
    }
    merge.release('watermark')
  }
  merge.release('all')
  return order.subarray(0, i)
}

function measure (name: string, fn: () => Float64Array): { rate: number, order: Float64Array } {
  const heap0 = process.memoryUsage().heapUsed
  const t0 = performance.now()
  const order = fn()
  const ms = performance.now() - t0
  const heap = process.memoryUsage().heapUsed - heap0
  const rate = order.length / (ms / 1000)
  console.log(`${name.padEnd(6)} ${(rate / 1e6).toFixed(2)} M records/s  ${ms.toFixed(0).padStart(6)} ms  heap +${(heap / 1048576).toFixed(0)} MiB`)
  return { rate, order }
}

const chunks = makeChunks()
console.log(`merge benchmark: ${N} records, ${CPUS} CPUs, ${chunks.length} chunks of up to ${CHUNK / 1024} KiB`)
runMerge(chunks.slice(0, CPUS * 4)); runSort(chunks.slice(0, CPUS * 4)) // warm up
const sorted = measure('sort', () => runSort(chunks))
const merged = measure('merge', () => runMerge(chunks))
const same = sorted.order.length === merged.order.length && sorted.order.every((v, i) => v === merged.order[i])
if (!same) throw new Error('merge and sort disagree on the order')
console.log(`merge/sort: ${(merged.rate / sorted.rate).toFixed(1)}x  (orders identical)`)
