// Benchmark of what live subscribers cost the merge, against the merge alone in the same run.
//
//   node --import tsx bench/live.ts [records] [cpus]     (default 2,000,000 and 4)
//
// The same per-CPU streams as bench/merge.ts go through collector/merge with the
// consumers the pipeline would have (the archive left out: it costs the same in all):
//   none      the merge alone
//   all       one subscriber (collector/live/subscriber.ts) taking every record: each
//             copied into its queue as a frame, written in batches to a socket that
//             drains at once (a fake: the bytes are not sent anywhere)
//   1%        one subscriber whose --pid filter takes 1 record in 100
//   grep      one subscriber with --grep on a literal no message holds (a byte search
//             on every text payload, no string decoded)
//   4 x 1%    four such subscribers
// Reported: records/s and ns per record over the merge alone, and GCs (0: nothing is
// allocated per record).
import { PerformanceObserver } from 'node:perf_hooks'
import { Merge } from '../collector/merge/merge.ts'
import { LiveFilter } from '../collector/live/filter.ts'
import { Subscriber, type FrameSink } from '../collector/live/subscriber.ts'
import type { LiveFilterSpec } from '../formats/live-hello.ts'
import { writeRecord } from '../formats/record.ts'

const N = Number(process.argv[2] ?? 2_000_000)
const CPUS = Number(process.argv[3] ?? 4)
const CHUNK = 256 * 1024

interface Chunk { cpu: number, view: DataView, end: number, lastLo: number }

/** Text records, pid 0..99 in turn, ts rising on every CPU, in 256 KiB chunks taken round-robin. */
function makeChunks (): Chunk[] {
  const perCpu = Math.floor(N / CPUS)
  const byCpu: Chunk[][] = []
  for (let cpu = 0; cpu < CPUS; cpu++) {
    const list: Chunk[] = []
    let buf = Buffer.alloc(CHUNK)
    let off = 0
    for (let seq = 1; seq <= perCpu; seq++) {
      const payload = Buffer.from(`queue ${seq % 13} stalled for ${seq * 7} ns`)
      if (off + 48 + payload.length + 8 > CHUNK) {
        list.push({ cpu, view: new DataView(buf.buffer, 0, off), end: off, lastLo: seq * 10 + cpu })
        buf = Buffer.alloc(CHUNK)
        off = 0
      }
      off += writeRecord(buf, off, { type: 0, kind: 1, level: 6, seq, tsHi: 0, tsLo: seq * 10 + cpu, pid: seq % 100, ctx: 0, comm: 'bench' }, payload)
    }
    list.push({ cpu, view: new DataView(buf.buffer, 0, off), end: off, lastLo: perCpu * 10 + 10 })
    byCpu.push(list)
  }
  const arrival: Chunk[] = []
  for (let i = 0; byCpu.some(l => i < l.length); i++) for (const l of byCpu) if (i < l.length) arrival.push(l[i]!)
  return arrival
}

const sink: FrameSink = {
  write (_chunk, done) { done(); return true },
  end () {},
}

function run (chunks: Chunk[], specs: LiveFilterSpec[]): number {
  const subs = specs.map(s => new Subscriber(sink, new LiveFilter(s)))
  let n = 0
  const merge = new Merge((view, off, cpu) => {
    for (let i = 0; i < subs.length; i++) subs[i]!.record(view, off, cpu)
    n++
  })
  for (let c = 0; c < CPUS; c++) merge.addCpu(c)
  const t0 = performance.now()
  for (let k = 0; k < chunks.length; k += CPUS) {
    for (let j = k; j < k + CPUS && j < chunks.length; j++) {
      const ch = chunks[j]!
      merge.push(ch.cpu, ch.view, 0, ch.end)
      merge.setWatermark(ch.cpu, 0, ch.lastLo)
    }
    merge.release('watermark')
    for (const s of subs) s.released(false)
  }
  merge.release('all')
  for (const s of subs) s.released(true)
  const ms = performance.now() - t0
  if (n !== Math.floor(N / CPUS) * CPUS) throw new Error(`emitted ${n}`)
  return ms
}

let gcs = 0
new PerformanceObserver(list => { gcs += list.getEntries().length }).observe({ entryTypes: ['gc'] })

const chunks = makeChunks()
const onePercent = { pid: [42] }
const variants: Array<[string, LiveFilterSpec[]]> = [
  ['none', []],
  ['all', [{}]],
  ['1%', [onePercent]],
  ['grep', [{ grep: 'no such text' }]],
  ['4 x 1%', [onePercent, onePercent, onePercent, onePercent]],
]
console.log(`live benchmark: ${N} records, ${CPUS} CPUs, merge + subscribers`)
// warm up: every variant once in full, so the JIT has settled (its first runs allocate)
for (const [, specs] of variants) run(chunks, specs)
let base = 0
for (const [name, specs] of variants) {
  await new Promise(resolve => setTimeout(resolve, 200)) // GC entries of earlier runs arrive late
  gcs = 0
  const ms = run(chunks, specs)
  await new Promise(resolve => setImmediate(resolve))
  if (name === 'none') base = ms
  const extra = name === 'none' ? '' : `  +${((ms - base) * 1e6 / N).toFixed(1)} ns/record over the merge alone`
  console.log(`${name.padEnd(7)} ${(N / ms / 1000).toFixed(2)} M records/s ${ms.toFixed(0).padStart(6)} ms  ${gcs} GCs${extra}`)
}
