// Benchmark of the records archive writer against baselines measured in the same run.
//
//   node --import tsx bench/archive.ts [rows]      (default 1,000,000)
//
// Every variant gets the same pre-generated rows (synthetic, shaped like the module's
// generator: 4 CPUs merged by time, odd rows text, even rows binary of 16..76 bytes) and
// writes one zstd Parquet file of the `records` schema sorted by (ts, cpu, seq):
//   naive     DuckDB appender on a table of the final types: appendTimestampNanoseconds,
//             appendBigInt, appendUBigInt (a BigInt and a value object per row), names as
//             strings, then COPY ... ORDER BY. What the hot path must not do.
//   halves    DuckDB appender, one call per column, times as u32 halves and codes as
//             numbers, SQL conversion at COPY: the technique suggested in the brief.
//   writer    collector/archive RecordsWriter.append(row): typed arrays + byte columns
//             written to a plain staging Parquet file, strings from JS strings; publish
//             includes fsync + rename.
//   wire      RecordsWriter.appendRecord: the same rows as wire records (encoded before the
//             timing), comm and payload staged as bytes: the collector's path.
// Reported: append rows/s, end-to-end rows/s (append + COPY/publish), output bytes/row,
// GC runs during the append loop, and writer/naive ratios. The outputs are checked equal.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { DuckDBInstance, DuckDBTimestampNanosecondsValue } from '@duckdb/node-api'
import { ctxName, levelName, typeName } from '../formats/archive-schema.ts'
import { RecordsWriter } from '../collector/archive/records-writer.ts'
import type { RecordRow } from '../collector/archive/types.ts'
import { writeRecord, type RecordFields } from '../formats/record.ts'

const N = Number(process.argv[2] ?? 1_000_000)
const CHANNEL = '9f3c2a71d04b5e86'
const OFFSET = 1764032400123456789n
const BASE_MONO = 86_400_000_000_000 * 3 // three days of uptime, ns

// ---- synthetic rows (generated before any timing) ----
const tsHi = new Uint32Array(N)
const tsLo = new Uint32Array(N)
const cpuA = new Int32Array(N)
const seqA = new Float64Array(N)
const msgs: (string | null)[] = new Array(N)
const datas: (Uint8Array | null)[] = new Array(N)
const comms = ['krelay_gen/0', 'krelay_gen/1', 'krelay_gen/2', 'krelay_gen/3']
{
  const big = new Uint8Array(N * 40 + 128)
  let off = 0
  const seqs = [0, 0, 0, 0]
  for (let i = 0; i < N; i++) {
    const cpu = i & 3
    const mono = BASE_MONO + i * 997 + cpu * 13 // strictly increasing, ~1M rows/s of kernel time
    tsHi[i] = Math.floor(mono / 4294967296)
    tsLo[i] = mono >>> 0
    cpuA[i] = cpu
    const index = seqs[cpu]!++
    seqA[i] = index + 1
    if (index & 1) {
      msgs[i] = `gen run=1 cpu=${cpu} index=${index}`
      datas[i] = null
    } else {
      const len = 16 + (index % 61)
      const d = big.subarray(off, off + len)
      const dv = new DataView(d.buffer, d.byteOffset, 16)
      dv.setUint32(0, index, true)
      dv.setUint32(8, cpu, true)
      dv.setUint32(12, 1, true)
      for (let k = 16; k < len; k++) d[k] = (index + k - 16) & 0xff
      off += len
      msgs[i] = null
      datas[i] = d
    }
  }
}
const levelOf = (i: number) => (seqA[i]! - 1) & 7
const kindOf = (i: number) => (msgs[i] !== null ? 1 : 2)

// ---- the same rows as wire records (PROTOCOL.md §3.2), for the `wire` variant ----
const wireBytes = Buffer.alloc(N * 128)
const wireOffs = new Int32Array(N)
const wireView = new DataView(wireBytes.buffer, wireBytes.byteOffset, wireBytes.byteLength)
{
  const f: RecordFields = { type: 0xff01, kind: 1, level: 0, seq: 0, tsHi: 0, tsLo: 0, pid: 4242, ctx: 0, comm: '' }
  let off = 0
  for (let i = 0; i < N; i++) {
    f.kind = kindOf(i)
    f.level = levelOf(i)
    f.seq = seqA[i]!
    f.tsHi = tsHi[i]!
    f.tsLo = tsLo[i]!
    f.comm = comms[cpuA[i]!]!
    wireOffs[i] = off
    off += writeRecord(wireBytes, off, f, msgs[i] !== null ? Buffer.from(msgs[i]!) : datas[i]!)
  }
}

// ---- helpers ----
let gcRuns = 0
new PerformanceObserver((list) => {
  gcRuns += list.getEntries().length
}).observe({ entryTypes: ['gc'] })
/** GC entries arrive asynchronously: let them in before reading the count. */
async function gcCount (): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  return gcRuns
}

function dirBytes (dir: string): { bytes: number; files: string[] } {
  let bytes = 0
  const files: string[] = []
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.parquet')) {
      const p = join(e.parentPath, e.name)
      bytes += statSync(p).size
      files.push(p)
    }
  }
  return { bytes, files }
}

interface Result {
  name: string;
  appendS: number;
  totalS: number;
  bytes: number;
  gc: number;
  files: string[];
}

const FINAL_SCHEMA = `ts TIMESTAMP_NS, mono_ns BIGINT, cpu INTEGER, seq UBIGINT, "level" VARCHAR, "type" VARCHAR,
  ctx VARCHAR, pid INTEGER, comm VARCHAR, msg VARCHAR, "data" BLOB, channel_id VARCHAR`

async function naive (dir: string): Promise<Result> {
  const inst = await DuckDBInstance.create(':memory:')
  const c = await inst.connect()
  await c.run(`CREATE TABLE t (${FINAL_SCHEMA})`)
  const a = await c.createAppender('t')
  const gc0 = await gcCount()
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    const mono = (BigInt(tsHi[i]!) << 32n) | BigInt(tsLo[i]!)
    a.appendTimestampNanoseconds(new DuckDBTimestampNanosecondsValue(mono + OFFSET))
    a.appendBigInt(mono)
    a.appendInteger(cpuA[i]!)
    a.appendUBigInt(BigInt(seqA[i]!))
    a.appendVarchar(levelName(levelOf(i)))
    a.appendVarchar(typeName(0xff01))
    a.appendVarchar(ctxName(0))
    a.appendInteger(4242)
    a.appendVarchar(comms[cpuA[i]!]!)
    const m = msgs[i]
    const d = datas[i]
    if (m !== null && m !== undefined) a.appendVarchar(m)
    else a.appendNull()
    if (d !== null && d !== undefined) a.appendBlob(d)
    else a.appendNull()
    a.appendVarchar(CHANNEL)
    a.endRow()
  }
  a.closeSync()
  const t1 = performance.now()
  const gc = (await gcCount()) - gc0
  await c.run(`COPY (SELECT * FROM t ORDER BY ts, cpu, seq) TO '${join(dir, 'naive.parquet')}' (FORMAT parquet, COMPRESSION zstd)`)
  const t2 = performance.now()
  c.closeSync()
  inst.closeSync()
  return { name: 'naive', appendS: (t1 - t0) / 1e3, totalS: (t2 - t0) / 1e3, gc, ...dirBytes(dir) }
}

async function halves (dir: string): Promise<Result> {
  const inst = await DuckDBInstance.create(':memory:')
  const c = await inst.connect()
  await c.run(`CREATE TABLE t (ts_hi UINTEGER, ts_lo UINTEGER, cpu INTEGER, seq DOUBLE, "level" UTINYINT,
    "type" USMALLINT, ctx UTINYINT, pid INTEGER, comm VARCHAR, msg VARCHAR, "data" BLOB)`)
  const a = await c.createAppender('t')
  const gc0 = await gcCount()
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    a.appendUInteger(tsHi[i]!)
    a.appendUInteger(tsLo[i]!)
    a.appendInteger(cpuA[i]!)
    a.appendDouble(seqA[i]!)
    a.appendUTinyInt(levelOf(i))
    a.appendUSmallInt(0xff01)
    a.appendUTinyInt(0)
    a.appendInteger(4242)
    a.appendVarchar(comms[cpuA[i]!]!)
    const m = msgs[i]
    const d = datas[i]
    if (m !== null && m !== undefined) a.appendVarchar(m)
    else a.appendNull()
    if (d !== null && d !== undefined) a.appendBlob(d)
    else a.appendNull()
    a.endRow()
  }
  a.closeSync()
  const t1 = performance.now()
  const gc = (await gcCount()) - gc0
  const mono = '((ts_hi::BIGINT << 32) | ts_lo)'
  await c.run(`COPY (SELECT make_timestamp_ns(${mono} + ${OFFSET}) AS ts, ${mono} AS mono_ns, cpu, seq::UBIGINT AS seq,
      (['emerg','alert','crit','err','warning','notice','info','debug'])["level" + 1] AS "level",
      CASE "type" WHEN 65281 THEN 'gen' ELSE printf('0x%04x', "type") END AS "type",
      (['task','softirq','hardirq'])[ctx + 1] AS ctx, pid, comm, msg, "data", '${CHANNEL}' AS channel_id
    FROM t ORDER BY ts, cpu, seq) TO '${join(dir, 'halves.parquet')}' (FORMAT parquet, COMPRESSION zstd)`)
  const t2 = performance.now()
  c.closeSync()
  inst.closeSync()
  return { name: 'halves', appendS: (t1 - t0) / 1e3, totalS: (t2 - t0) / 1e3, gc, ...dirBytes(dir) }
}

async function writer (dir: string): Promise<Result> {
  const w = await RecordsWriter.open({ out: dir, host: 'bench', maxFileBytes: 1 << 30, maxAgeSeconds: 3600 })
  w.setChannel({ channelId: CHANNEL, monoToRealtimeNs: OFFSET })
  const row: RecordRow = {
    tsHi: 0, tsLo: 0, cpu: 0, seq: 0, level: 0, type: 0xff01, kind: 1, ctx: 0, pid: 4242, comm: '', msg: null, data: null,
  }
  const gc0 = await gcCount()
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    row.tsHi = tsHi[i]!
    row.tsLo = tsLo[i]!
    row.cpu = cpuA[i]!
    row.seq = seqA[i]!
    row.level = levelOf(i)
    row.kind = kindOf(i)
    row.comm = comms[row.cpu]!
    row.msg = msgs[i]!
    row.data = datas[i]!
    w.append(row)
  }
  const t1 = performance.now()
  const gc = (await gcCount()) - gc0
  await w.close()
  const t2 = performance.now()
  return { name: 'writer', appendS: (t1 - t0) / 1e3, totalS: (t2 - t0) / 1e3, gc, ...dirBytes(dir) }
}

async function wire (dir: string): Promise<Result> {
  const w = await RecordsWriter.open({ out: dir, host: 'bench', maxFileBytes: 1 << 30, maxAgeSeconds: 3600 })
  w.setChannel({ channelId: CHANNEL, monoToRealtimeNs: OFFSET })
  const gc0 = await gcCount()
  const t0 = performance.now()
  for (let i = 0; i < N; i++) w.appendRecord(wireView, wireOffs[i]!, cpuA[i]!)
  const t1 = performance.now()
  const gc = (await gcCount()) - gc0
  await w.close()
  const t2 = performance.now()
  return { name: 'wire', appendS: (t1 - t0) / 1e3, totalS: (t2 - t0) / 1e3, gc, ...dirBytes(dir) }
}

/** Of the archive's values (exact ns times, seq as a number): the same for a file of format 1 (naive, halves) and 2 (the writer). */
async function checksum (files: string[]): Promise<string> {
  const inst = await DuckDBInstance.create(':memory:')
  const c = await inst.connect()
  const list = files.map((f) => `'${f}'`).join(', ')
  const names = (await c.runAndReadAll(`SELECT name FROM parquet_schema('${files[0]}')`)).getRows().map((r) => String(r[0]))
  const [ns, mono] = names.includes('ts_nanos')
    ? ['epoch_us(ts) * 1000 + ts_nanos', 'epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns']
    : ['epoch_ns(ts)', 'mono_ns']
  const r = await c.runAndReadAll(`SELECT count(*)::VARCHAR || ':' || sum(hash(${ns}, ${mono}, cpu, seq::BIGINT, "level", "type", ctx, pid,
      comm, msg, "data", channel_id) % 1000000007)::VARCHAR FROM read_parquet([${list}])`)
  c.closeSync()
  inst.closeSync()
  return String(r.getRows()[0]![0])
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US')
const root = mkdtempSync(join(tmpdir(), 'krelay-bench-'))
try {
  console.log(`archive bench: ${fmt(N)} rows, node ${process.version}`)
  const results: Result[] = []
  for (const f of [naive, halves, writer, wire]) {
    const dir = join(root, f.name)
    mkdirSync(dir)
    results.push(await f(dir))
    if (global.gc) global.gc()
  }
  console.log('variant   append rows/s   end-to-end rows/s   bytes/row   GC runs (append)')
  for (const r of results) {
    console.log(
      `${r.name.padEnd(8)}  ${fmt(N / r.appendS).padStart(13)}   ${fmt(N / r.totalS).padStart(17)}   ${(r.bytes / N).toFixed(2).padStart(9)}   ${String(r.gc).padStart(16)}`
    )
  }
  const [nv, , wr, wi] = results as [Result, Result, Result, Result]
  for (const r of [wr, wi]) {
    console.log(`${r.name} / naive: append ${(nv.appendS / r.appendS).toFixed(2)}x, end-to-end ${(nv.totalS / r.totalS).toFixed(2)}x`)
  }
  const sums = await Promise.all(results.map((r) => checksum(r.files)))
  const same = sums.every((s) => s === sums[0])
  console.log(`outputs identical (count:hash): ${same ? 'yes' : 'NO'} ${sums.join(' ')}`)
  if (!same) process.exitCode = 1
} finally {
  rmSync(root, { recursive: true, force: true })
}
