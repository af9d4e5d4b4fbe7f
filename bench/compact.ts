// bench compact: compaction of a demo-like archive, against DuckDB's own COPY of the same
// files, same run.
//
//   node --import tsx bench/compact.ts [--quick] [records per CPU] [cpus]   (default 200,000 and 2)
//
// The archive: the whole collector (compaction off) on the simulator's generator records
// (as `krelay demo` makes them: 2 CPUs, text and binary `gen` records), with small files
// (about 1/20 of the data each, as a demo's hour holds a file a minute). Then, on copies
// of it:
//   compact   compactHour() on every hour directory: the sorted COPY at zstd 9, row
//             groups of 122,880, the row count and whole-row checksum of inputs and
//             output, fsyncs, the journaled swap.
//   COPY      the baseline, what a user would run by hand: one
//             COPY (SELECT * FROM read_parquet(files) ORDER BY ts, ts_nanos, cpu, seq) TO ...
//             (zstd 9, the same row groups) per hour, nothing checked, nothing swapped.
// Printed: bytes per record before and after, records/s of each. Goal: compact >= 0.5x
// COPY (the checks read the inputs and the output once more).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { ARCHIVE_FORMAT_VERSION, RECORDS_SORT_KEY } from '../formats/archive-schema.ts'
import { listHourDirs } from '../collector/archive/compact-archive.ts'
import { compactHour } from '../collector/archive/compact.ts'
import { parquetNames } from '../collector/archive/compact-journal.ts'
import { RelaySim } from '../collector/sim/relay-sim.ts'
import { collectSim } from './collect-sim.ts'
import { goalLine, isQuick, millions } from './goal.ts'

const args = process.argv.slice(2).filter(a => a !== '--quick')
const QUICK = isQuick()
const PER_CPU = Number(args[0] ?? (QUICK ? 25_000 : 200_000))
const CPUS = Number(args[1] ?? 2)
const GOAL = 0.5
if (!(Number.isInteger(PER_CPU) && PER_CPU > 0 && Number.isInteger(CPUS) && CPUS > 0)) {
  throw new Error(`records per CPU and cpus must be positive integers, got ${args.join(' ')}`)
}

/** The collector on a filled simulator, compaction off; returns the archive directory. */
async function demoArchive (): Promise<string> {
  const cpus = [...Array(CPUS).keys()]
  const sim = new RelaySim({ cpus, subbufSize: 1 << 20, nSubbufs: Math.ceil(PER_CPU * 96 / (1 << 20)) + 2, staleFill: false })
  sim.runGen(PER_CPU)
  sim.flush()
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'krelay-bench-compact-'))
  const summary = await collectSim(sim, out, {
    host: 'bench',
    fsync: 'never',
    segmentBytes: 64 << 20,
    segmentAgeMs: 300_000,
    maxFileBytes: Math.max(64 << 10, Math.round(PER_CPU * CPUS * 60 / 20)),
    maxAgeSeconds: 60,
    follow: false,
    compact: false,
    log: () => {},
  })
  sim.destroy()
  fs.rmSync(path.join(out, '.spool'), { recursive: true, force: true })
  if (summary.records !== PER_CPU * CPUS) throw new Error(`archived ${summary.records} records`)
  return out
}

async function recordDirs (out: string): Promise<string[]> {
  return (await listHourDirs(out)).filter(h => h.dataset === 'records').map(h => h.dir)
}

async function bytesOf (dirs: readonly string[]): Promise<{ bytes: number, files: number }> {
  let bytes = 0
  let files = 0
  for (const d of dirs) {
    for (const n of await parquetNames(d)) { bytes += fs.statSync(path.join(d, n)).size; files++ }
  }
  return { bytes, files }
}

const base = await demoArchive()
const rows = PER_CPU * CPUS
try {
  const instance = await DuckDBInstance.create(':memory:', { enable_external_file_cache: 'false' })
  const conn = await instance.connect()
  const before = await bytesOf(await recordDirs(base))

  const a = path.join(base, 'a')
  fs.cpSync(path.join(base, 'records'), path.join(a, 'records'), { recursive: true })
  const dirsA = await recordDirs(a)
  let t0 = performance.now()
  for (const d of dirsA) {
    const r = await compactHour(conn, d)
    if (r.action !== 'compacted') throw new Error(`${d}: ${r.action} ${r.reason ?? ''}`)
  }
  const compactMs = performance.now() - t0
  const after = await bytesOf(dirsA)

  const b = path.join(base, 'b')
  fs.cpSync(path.join(base, 'records'), path.join(b, 'records'), { recursive: true })
  t0 = performance.now()
  for (const d of await recordDirs(b)) {
    const files = (await parquetNames(d)).map(n => `'${path.join(d, n)}'`).join(', ')
    await conn.run(`COPY (SELECT * FROM read_parquet([${files}], hive_partitioning = false) ORDER BY ${RECORDS_SORT_KEY.join(', ')}) TO '${path.join(d, 'copy.parquet')}' ` +
      '(FORMAT parquet, PARQUET_VERSION V2, COMPRESSION zstd, COMPRESSION_LEVEL 9, ROW_GROUP_SIZE 122880)')
  }
  const copyMs = performance.now() - t0
  instance.closeSync()

  const perRec = (bytes: number): string => (bytes / rows).toFixed(2)
  console.log(`archive  ${rows} records (${CPUS} CPUs), ${before.files} files, ${perRec(before.bytes)} B/record as the collector writes them (archive version ${ARCHIVE_FORMAT_VERSION})`)
  console.log(`compact  ${millions(rows / compactMs * 1000, 'records/s')}  ${compactMs.toFixed(0).padStart(6)} ms  -> ${after.files} files, ${perRec(after.bytes)} B/record (${(100 - after.bytes / before.bytes * 100).toFixed(1)}% smaller)`)
  console.log(`COPY     ${millions(rows / copyMs * 1000, 'records/s')}  ${copyMs.toFixed(0).padStart(6)} ms  (one sorted COPY per hour at zstd 9, nothing checked or swapped)`)
  const r = copyMs / compactMs
  console.log(goalLine({ name: 'compact', figure: millions(rows / compactMs * 1000, 'records/s'), ratio: r, baseline: 'DuckDB COPY of the same files (sorted, zstd 9)', goal: `>= ${GOAL}x`, met: r >= GOAL }))
} finally {
  fs.rmSync(base, { recursive: true, force: true })
}
