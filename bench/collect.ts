// bench collect: the whole collector on the simulator, records/s to final Parquet,
// against DuckDB's own COPY of the identical rows from a native table, same run.
//
//   node --import tsx bench/collect.ts [--quick] [records per CPU] [cpus]   (default 250,000 and 4)
//
// The simulator first fills its buffers with generator records (large enough to hold
// them all, so every variant reads the same bytes), then:
//   read      the consumer alone: ChannelReader takes every sub-buffer, walks and
//             validates every record, acknowledges. The floor for any collector.
//   collect   the whole collector: the same reading, plus every sub-buffer appended to
//             the spool, the merge by time, Parquet through DuckDB (zstd, sorted,
//             published with fsync + rename), spool segments deleted once archived.
//             Timed from when the collector is ready (collect()'s onReady: its archive
//             worker thread is running and has opened DuckDB and the archive) until
//             collect() returns (every record in a final file, the worker and DuckDB
//             closed): a collector that runs for months starts once, so its start is not
//             its throughput. The start (worker thread, its module loading, DuckDB) is
//             timed too and printed on a line of its own, with the total including it.
//   COPY      the baseline: the archive's rows read back into a native DuckDB table (the
//             identical rows, final types), then only
//             COPY (SELECT * FROM t ORDER BY ts) TO ... (FORMAT parquet, COMPRESSION zstd)
//             is timed: what writing those rows to Parquet costs DuckDB itself. It runs in
//             a process of its own, with DuckDB's own allocator settings (duckdb-peer.ts).
// Each is run `rounds` times (1 with --quick) and the best time of each is kept, so a
// busy machine penalizes both alike. Goal: collect >= 0.8x COPY (issue 9), in wall time
// (both use both cores: the collector its worker and DuckDB's threads, COPY DuckDB's).
// The CPU time of collect (from ready) and of COPY (every thread of this process,
// cpu-time.ts) is printed too: the work each does, which a loaded machine changes less.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { duckdbLoaded } from '../collector/archive/allocator.ts'
import { RelaySim } from '../collector/sim/relay-sim.ts'
import { openChannel } from '../collector/source/channel.ts'
import { ChannelReader } from '../collector/source/reader.ts'
import { forEachRecord } from '../collector/source/records.ts'
import { createRecordView } from '../formats/record.ts'
import { collectSim } from './collect-sim.ts'
import { cpuMs } from './cpu-time.ts'
import { runPeer, type PeerResult } from './duckdb-peer.ts'

const args = process.argv.slice(2).filter(a => a !== '--quick')
const QUICK = process.argv.includes('--quick') || process.env.KRELAY_BENCH_QUICK === '1'
const PER_CPU = Number(args[0] ?? (QUICK ? 25_000 : 250_000))
const CPUS = Number(args[1] ?? 4)
const ROUNDS = QUICK ? 1 : 2
const GOAL = 0.8
if (!(Number.isInteger(PER_CPU) && PER_CPU > 0 && Number.isInteger(CPUS) && CPUS > 0)) {
  throw new Error(`records per CPU and cpus must be positive integers, got ${args.join(' ')}`)
}
const cpus = [...Array(CPUS).keys()]

function filledSim (): RelaySim {
  const sim = new RelaySim({ cpus, subbufSize: 1 << 20, nSubbufs: Math.ceil(PER_CPU * 96 / (1 << 20)) + 2, staleFill: false })
  sim.runGen(PER_CPU)
  sim.flush()
  for (const cpu of cpus) if (sim.cpu(cpu).dropped > 0) throw new Error('the simulated buffer is too small for the benchmark')
  return sim
}

async function read (): Promise<number> {
  const sim = filledSim()
  const channel = openChannel(sim.dir)
  const rec = createRecordView()
  let records = 0
  const t0 = performance.now()
  const reader = new ChannelReader(channel, {
    acker: sim.acker,
    onSubbuf: sub => forEachRecord(sub.view, sub.recordsStart, sub.recordsEnd, rec, () => { records++ }),
  })
  for (;;) {
    const pass = await reader.pass()
    if (pass.subbufs === 0 && !pass.more) break
  }
  const ms = performance.now() - t0
  sim.destroy()
  if (records !== PER_CPU * CPUS) throw new Error(`read ${records} records`)
  return ms
}

/**
 * Runs the whole collector; returns its time from ready to done, its start-up time, and
 * the archive it wrote (the caller removes it).
 */
async function collectAll (): Promise<{ ms: number, startMs: number, cpu: number, out: string }> {
  const sim = filledSim()
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-bench-'))
  const t0 = performance.now()
  let tReady = NaN
  let cpuReady = NaN
  const summary = await collectSim(sim, out, {
    host: 'bench',
    fsync: 1000,
    segmentBytes: 64 << 20,
    segmentAgeMs: 300_000,
    maxFileBytes: 128 << 20,
    maxAgeSeconds: 60,
    follow: false,
    log: () => {},
    onReady: () => {
      tReady = performance.now()
      cpuReady = cpuMs()
    },
  })
  const t1 = performance.now()
  const cpu = cpuMs() - cpuReady
  sim.destroy()
  if (summary.records !== PER_CPU * CPUS) throw new Error(`archived ${summary.records} records`)
  if (Number.isNaN(tReady)) throw new Error('the collector never said it was ready')
  return { ms: t1 - tReady, startMs: tReady - t0, cpu, out }
}

/**
 * The baseline: DuckDB's COPY of the archive's rows from a native table, in a DuckDB of
 * its own process with DuckDB's own settings (duckdb-peer.ts); returns its time.
 */
function duckdbCopy (out: string): PeerResult {
  const glob = path.join(out, 'records', '**', '*.parquet').replaceAll("'", "''")
  const file = path.join(out, 'baseline.parquet').replaceAll("'", "''")
  const r = runPeer({
    setup: [`CREATE TABLE t AS SELECT * FROM read_parquet('${glob}')`],
    count: 'SELECT count(*)::DOUBLE FROM t',
    timed: [`COPY (SELECT * FROM t ORDER BY ts) TO '${file}' (FORMAT parquet, COMPRESSION zstd)`],
  })
  if (r.count !== PER_CPU * CPUS) throw new Error(`the archive holds ${String(r.count)} records`)
  return r
}

const n = PER_CPU * CPUS
const rate = (ms: number): string => `${(n / ms / 1000).toFixed(2)} M records/s`
console.log(`collect benchmark: ${CPUS} CPUs x ${PER_CPU} generator records, best of ${ROUNDS}`)
// libduckdb reads its allocator options when it loads: loaded before the collector set
// them, it would run with DuckDB's defaults, not as `krelay collect` runs
if (duckdbLoaded()) throw new Error('libduckdb is loaded before the collector could set its allocator options (collector/archive/allocator.ts)')
let readMs = Infinity
let collectMs = Infinity
let startMs = Infinity
let totalMs = Infinity
let copyMs = Infinity
let collectCpu = Infinity
let copyCpu = Infinity
for (let round = 0; round < ROUNDS; round++) {
  readMs = Math.min(readMs, await read())
  const run = await collectAll()
  try {
    collectMs = Math.min(collectMs, run.ms)
    startMs = Math.min(startMs, run.startMs)
    totalMs = Math.min(totalMs, run.startMs + run.ms)
    collectCpu = Math.min(collectCpu, run.cpu)
    const copy = duckdbCopy(run.out)
    copyMs = Math.min(copyMs, copy.ms)
    copyCpu = Math.min(copyCpu, copy.cpu)
  } finally {
    fs.rmSync(run.out, { recursive: true, force: true })
  }
}
console.log(`read     ${rate(readMs)}  ${readMs.toFixed(0).padStart(6)} ms  (the reader alone)`)
console.log(`collect  ${rate(collectMs)}  ${collectMs.toFixed(0).padStart(6)} ms  (whole collector to final Parquet, from ready)`)
console.log(`start    ${' '.repeat(16)}  ${startMs.toFixed(0).padStart(6)} ms  (the collector's start: archive worker thread, DuckDB; once per run)`)
console.log(`total    ${rate(totalMs)}  ${totalMs.toFixed(0).padStart(6)} ms  (start included)`)
console.log(`COPY     ${rate(copyMs)}  ${copyMs.toFixed(0).padStart(6)} ms  (DuckDB COPY ... ORDER BY ts, zstd, of the same rows from a native table)`)
console.log(`cpu      collect ${collectCpu.toFixed(0)} ms, COPY ${copyCpu.toFixed(0)} ms (CPU time, every thread: ${(copyCpu / collectCpu).toFixed(2)}x)`)
const ratio = copyMs / collectMs
console.log(`bench collect: ${(n / collectMs / 1000).toFixed(2)} M records/s; ${ratio.toFixed(2)}x DuckDB COPY of the same rows; goal >= ${GOAL}x: ${ratio >= GOAL ? 'met' : 'missed'}`)
